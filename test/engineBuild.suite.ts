/** engine/build.ts finds Go even where PATH lacks it (a bare CI shell: `env -i PATH=/usr/bin:/bin`). */
import * as path from "node:path";
import { goBinary } from "../engine/build";

test("go comes from $GO, else PATH, else Go's default install location; else an error that says how to fix it", () => {
    expect(goBinary({ GO: "/opt/go/bin/go", PATH: "/usr/bin" }, () => false)).toBe("/opt/go/bin/go");
    const onPath = path.join("/somewhere/bin", "go");
    expect(goBinary({ PATH: ["/usr/bin", "/somewhere/bin"].join(path.delimiter) }, (f) => f === onPath)).toBe(onPath);
    expect(goBinary({ PATH: "/usr/bin:/bin" }, (f) => f === "/usr/local/go/bin/go")).toBe("/usr/local/go/bin/go");
    expect(() => goBinary({ PATH: "/usr/bin" }, () => false)).toThrow(/Go not found on PATH or in \/usr\/local\/go\/bin: install Go 1\.26/);
});
