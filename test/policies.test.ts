// The policy pack: its config, the pack as a whole, first previews, each rule, and its cost at scale. One module
// registry for all of them: test/helpers/suites.ts.
import { suites } from "./helpers/suites";

suites(["policies.config", "policies.pack", "policies.preview", "policies.rules", "policies.scale"]);
