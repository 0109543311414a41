// npm run verify: the command, its units and the stack outputs it reads (test/helpers/suites.ts: one module registry for
// all of them). verifyDns, verifyKeys and verifySmoke stay files of their own: each starts a fake managed identity
// endpoint, and @azure/msal-node keeps the first one it used in a static for the module registry (so does verify).
import { suites } from "./helpers/suites";

suites(["verify", "verifyUnits", "verifyOutputs"]);
