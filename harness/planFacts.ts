/**
 * What a change to an input means per resource type, as the plan diff shows it: read from azure/providerRules.ts (each
 * rule sourced), the table the real-engine fakes read too.
 */
import { PROVIDER_RULES, replacePaths, underPath } from "../azure/providerRules";

export { underPath };

/**
 * `replace`: the provider plans a replacement (azure-native deletes first); `refused`: azure-native sends an update that
 * Azure refuses or ignores (the change takes a new resource); `caution`: in place, with a consequence to know.
 */
export type ChangeEffect = "replace" | "refused" | "caution";

export interface InputRule {
    /** Input path (`properties.keySize`), covering everything under it. */
    path: string;
    effect: ChangeEffect;
    /** Why, with the source (short: printed next to the change). */
    why: string;
}

/** The inputs in the type's ARM path, outermost first (its Azure identity; the last is its name), and its rules. */
export interface TypeFacts {
    identity: string[];
    rules: InputRule[];
}

const PATH = "part of the resource's ARM path (azure-native diff.go)";

function factsOf(type: string): TypeFacts {
    const r = PROVIDER_RULES[type];
    const identity = new Set(r.identity);
    return {
        identity: r.identity,
        rules: [
            ...replacePaths(type).map((p): InputRule => ({ path: p.path, effect: "replace", why: identity.has(p.path) ? PATH : p.source })),
            ...r.azureRefuses.map((p): InputRule => ({ path: p.path, effect: "refused", why: p.why })),
            ...r.cautions.map((p): InputRule => ({ path: p.path, effect: "caution", why: p.why })),
        ],
    };
}

export const TYPE_FACTS: Readonly<Record<string, TypeFacts>> = Object.fromEntries(Object.keys(PROVIDER_RULES).map((t) => [t, factsOf(t)]));

/** The input that names a resource in Azure (the last element of its identity), if the type is known. */
export function nameInput(type: string): string | undefined {
    return TYPE_FACTS[type]?.identity.at(-1);
}

/** The rule for a changed input path, if any (the most specific one). */
export function ruleFor(type: string, path: string): InputRule | undefined {
    const rules = TYPE_FACTS[type]?.rules.filter((r) => underPath(path, r.path)) ?? [];
    return rules.sort((a, b) => b.path.length - a.path.length)[0];
}
