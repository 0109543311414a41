// The stack program and its components: inputs, package, isolation, ownership, stability, runbook (test/helpers/suites.ts: one module registry for all of them).
import { suites } from "./helpers/suites";

suites(["program", "components", "package", "isolation", "ownership", "stability", "runbook"]);
