// The policy pack: its config, the pack as a whole, first previews, each rule, and its cost at scale (test/helpers/suites.ts: one module registry for all of them).
import { suites } from "./helpers/suites";

suites(["policies.config", "policies.pack", "policies.preview", "policies.rules", "policies.scale"]);
