// The stack program and its components: inputs, package, isolation, ownership, stability, runbook. One module registry
// for all of them: test/helpers/suites.ts.
import { suites } from "./helpers/suites";

suites(["program", "components", "package", "isolation", "ownership", "stability", "runbook"]);
