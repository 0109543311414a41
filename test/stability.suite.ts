/**
 * Stability: reordering accounts keeps every resource's URN and inputs (so every Azure name) identical; adding or
 * removing an account changes nothing of any other account. In dedicated mode (no lock needed) and in shared mode
 * (with the placement lock from the first run, as `npm run place` writes it).
 */
import type { PlacementLock } from "../config";
import { type Captured, T, capture, inputs, pid, rawConfig, type RawAccount } from "./helpers/stack";
import { expectWarnings, notYetLocked } from "./helpers/warnings";

expectWarnings(notYetLocked("stab"));

const base: RawAccount[] = [
    { name: "contoso", grants: [{ principalId: pid(1), principalType: "Group", role: "FHIR Data Reader" }] },
    { name: "fabrikam", keySize: 2048, import: true, grants: [{ principalId: pid(2), principalType: "User", role: "FHIR SMART User" }] },
    { name: "tailspin", export: false },
    { name: "wingtip", usCoreMissingData: true },
];
const extra: RawAccount = { name: "adatum", grants: [{ principalId: pid(3), principalType: "Group", role: "FHIR Data Writer" }] };

/** URN -> inputs of every resource that belongs to one of `accounts`. */
function snapshot(s: Captured, accounts: string[]): Map<string, string> {
    return new Map(
        s.resources
            .filter((r) => {
                const a = s.accountOf(r);
                return a !== undefined && accounts.includes(a);
            })
            .map((r) => [r.urn, JSON.stringify(r.inputs)]),
    );
}

/** The Azure names (every *Name input, role assignment GUIDs included) of every resource, by URN. */
function azureNames(s: Captured): Map<string, Record<string, unknown>> {
    return new Map(
        s.resources
            .filter((r) => r.custom)
            .map((r) => [r.urn, Object.fromEntries(Object.entries(inputs(r)).filter(([k]) => /Name$/.test(k)))]),
    );
}

describe.each([
    ["dedicated", {}],
    [
        "shared",
        {
            placement: "shared",
            subscriptions: [{ name: "main", subscriptionId: "00000000-0000-4000-8000-0000000000a1", fhirServicesPerWorkspace: 2 }],
        },
    ],
])("%s placement", (_mode, overrides) => {
    let first: Captured;
    let lock: PlacementLock;
    const names = base.map((a) => a.name);
    beforeAll(async () => {
        first = await capture(rawConfig(base, overrides), { stack: "stab" });
        lock = { version: 1, accounts: first.result.outputs.placement as PlacementLock["accounts"] };
    });

    test("the first run has what we compare (sanity)", () => {
        expect(first.ofType(T.fhir)).toHaveLength(4);
        expect(azureNames(first).size).toBeGreaterThan(30);
    });

    test("reordering accounts keeps every URN and every input identical", async () => {
        for (const order of [[base[2], base[0], base[3], base[1]]]) {
            const again = await capture(rawConfig(order, overrides), { stack: "stab", lock });
            expect([...again.byUrn.keys()].sort()).toEqual([...first.byUrn.keys()].sort());
            expect(azureNames(again)).toEqual(azureNames(first));
            expect(snapshot(again, names)).toEqual(snapshot(first, names));
        }
    });

    test("adding an account (sorting first by name) changes nothing of the others", async () => {
        const more = await capture(rawConfig([extra, ...base], overrides), { stack: "stab", lock });
        expect(snapshot(more, names)).toEqual(snapshot(first, names));
        expect(more.ofAccount("adatum", T.fhir)).toHaveLength(1);
        const before = new Set(first.byUrn.keys());
        const added = [...more.byUrn.keys()].filter((u) => !before.has(u));
        for (const u of added) {
            const r = more.byUrn.get(u)!;
            const owner = more.accountOf(r);
            // New resources belong to the new account, or are a new shared workspace for it.
            expect([u, owner === "adatum" || r.name.startsWith("ws-") || /^pool\d+(-workspace)?$/.test(r.name)]).toEqual([u, true]);
        }
    });

    test("removing an account changes nothing of the others", async () => {
        const fewer = await capture(
            rawConfig(
                base.filter((a) => a.name !== "fabrikam"),
                overrides,
            ),
            { stack: "stab", lock },
        );
        const rest = names.filter((n) => n !== "fabrikam");
        expect(snapshot(fewer, rest)).toEqual(snapshot(first, rest));
        expect(fewer.ofAccount("fabrikam")).toHaveLength(0);
    });
});
