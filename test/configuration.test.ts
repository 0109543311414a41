// Config, placement, shards, adoption and the CI stack list (test/helpers/suites.ts: one module registry for all of them).
import { suites } from "./helpers/suites";

suites(["config", "placement", "shards", "adopt", "ci"]);
