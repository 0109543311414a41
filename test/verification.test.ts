// npm run verify: the command, its units and the stack outputs it reads, in one module registry (test/helpers/suites.ts).
// verifyDns, verifyKeys and verifySmoke stay files of their own: each starts a fake managed identity endpoint, as
// verify.suite.ts does, and @azure/msal-node keeps the first endpoint a module registry used in a static.
import { suites } from "./helpers/suites";

suites(["verify", "verifyUnits", "verifyOutputs"]);
