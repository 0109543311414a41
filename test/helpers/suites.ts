/**
 * Several suites in one jest test file, sharing its module registry. Jest loads every module afresh for each test
 * file: @pulumi/pulumi, azure-native, zod and the program cost about a second a file, which was half of `npm test`
 * (five policy suites: 15.1 s as five files, 9.8 s as one). Each suite keeps its own file (`test/<name>.suite.ts`) and
 * runs in a describe block of its name, so its hooks and expected warnings stay its own; run one alone with
 * `npx jest test/<group> -t <name>`.
 */
export function suites(names: readonly string[]): void {
    for (const name of names) {
        describe(name, () => {
            require(`../${name}.suite`);
        });
    }
}
