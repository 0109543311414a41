// The repository itself: layers, lint, names, project files, the CLI wrapper, the PR comment, workflows, the engine's
// build and bench, the runtime. One module registry for all of them: test/helpers/suites.ts.
import { suites } from "./helpers/suites";

suites(["layers", "lint", "naming", "project", "pulumiCli", "prComment", "workflows", "engineBuild", "engineBench", "runtime"]);
