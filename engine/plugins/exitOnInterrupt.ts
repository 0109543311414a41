/**
 * Preloaded (`node --require`) into every Node process of a benchmark run with `--node-profile`. The CLI stops its
 * plugins (the providers, the policy analyzer) with SIGINT, then SIGKILL after 5 s (pkg sdk/go/common/resource/plugin/
 * plugin.go: InterruptChildren), and a Node process ended by a signal writes no `--cpu-prof` profile; exiting on the
 * signal writes it.
 */
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
