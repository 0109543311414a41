// The offline plan: its report, the placement lock, the diff, the stack files and the mock run (test/helpers/suites.ts: one module registry for all of them).
import { suites } from "./helpers/suites";

suites(["plan", "plan.lock", "planDiff", "stackFiles", "mockRun"]);
