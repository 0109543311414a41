// Config, placement, shards, adoption and the CI stack list. One module registry for all of them:
// test/helpers/suites.ts.
import { suites } from "./helpers/suites";

suites(["config", "placement", "shards", "adopt", "ci"]);
