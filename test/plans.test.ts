// The offline plan: its report, the placement lock, the diff, the stack files and the mock run. One module registry for
// all of them: test/helpers/suites.ts.
import { suites } from "./helpers/suites";

suites(["plan", "plan.lock", "planDiff", "stackFiles", "mockRun"]);
