/**
 * Keys used as FHIR customer-managed keys. Every Key Vault key this platform creates is a FHIR CMK, so the rules
 * apply to every `keyvault:Key`. Source for the shape: "Configure customer-managed keys for the FHIR service"
 * (RSA, 2048 or 3072 bits, vault + key name at most 94 characters); facts in azure/facts.ts.
 */
import * as keyvault from "@pulumi/azure-native/keyvault";
import { validateResourceOfType } from "@pulumi/policy";
import { CMK_KEY_SIZES, CMK_MAX_VAULT_PLUS_KEY_NAME, NAME_RULES } from "../../azure/facts";
import { type FhirResourcePolicy, TYPES, UNKNOWN, type Unknown, known } from "./common";

const RSA_TYPES = ["RSA", "RSA-HSM"];

export const cmkKeyRsa: FhirResourcePolicy = {
    name: "cmk-key-rsa",
    description:
        `CMK keys are RSA keys of ${CMK_KEY_SIZES.join(" or ")} bits, the only keys the FHIR service documents; RSA-HSM ` +
        `(documented for the DICOM service, not for FHIR) is let through for keyvault-hsm-keys.`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Set properties.kty to "RSA" (or "RSA-HSM" on a Premium vault) and properties.keySize to ` + `${CMK_KEY_SIZES.join(" or ")}.`,
    validateResource: validateResourceOfType(keyvault.Key, (key, _args, reportViolation) => {
        const kty = key.properties.kty;
        if (kty === undefined || !RSA_TYPES.includes(kty)) {
            reportViolation(`key type is ${kty ?? "unset"}: the FHIR service needs RSA or RSA-HSM`);
        }
        const size = key.properties.keySize;
        if (size === undefined || !(CMK_KEY_SIZES as readonly number[]).includes(size)) {
            reportViolation(`key size is ${size ?? "unset"}: the FHIR service accepts ${CMK_KEY_SIZES.join(" or ")} bits`);
        }
    }),
};

export const cmkKeyWrapUnwrap: FhirResourcePolicy = {
    name: "cmk-key-wrap-unwrap",
    description: "CMK keys allow the wrapKey and unwrapKey operations, which the FHIR service uses to protect its data encryption keys.",
    enforcementLevel: "mandatory",
    remediationSteps: 'Include "wrapKey" and "unwrapKey" in properties.keyOps (or leave keyOps unset, which allows every operation).',
    validateResource: validateResourceOfType(keyvault.Key, (key, _args, reportViolation) => {
        const ops = key.properties.keyOps;
        if (ops === undefined || ops.length === 0) return; // unset allows every operation
        const missing = ["wrapKey", "unwrapKey"].filter((op) => !ops.includes(op));
        if (missing.length > 0) reportViolation(`keyOps lacks ${missing.join(" and ")}: the FHIR service could not use the key`);
    }),
};

export const cmkKeyNameLength: FhirResourcePolicy = {
    name: "cmk-key-name-length",
    description:
        `Key vault name plus key name is at most ${CMK_MAX_VAULT_PLUS_KEY_NAME} characters, a limit of the FHIR service's ` +
        `CMK setting. A name not known at preview (a vault name built on a random suffix, on a new stack's first preview) ` +
        `counts as long as Azure allows (vault ${NAME_RULES.keyVault.max}, key ${NAME_RULES.keyVaultKey.max} characters): ` +
        `the pair is refused when it could exceed the limit.`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Shorten the vault or key name so that together they have at most ${CMK_MAX_VAULT_PLUS_KEY_NAME} characters ` +
        `(with a vault name generated at deployment, a key name of at most ` +
        `${CMK_MAX_VAULT_PLUS_KEY_NAME - NAME_RULES.keyVault.max}).`,
    validateResource: validateResourceOfType(keyvault.Key, (key, _args, reportViolation) => {
        const vault = known(() => key.vaultName);
        const keyName = known(() => key.keyName ?? "");
        const total =
            (vault === UNKNOWN ? NAME_RULES.keyVault.max : vault.length) +
            (keyName === UNKNOWN ? NAME_RULES.keyVaultKey.max : keyName.length);
        if (total <= CMK_MAX_VAULT_PLUS_KEY_NAME) return;
        const shown = (v: string | Unknown, max: number) =>
            v === UNKNOWN ? `(not known before deployment: up to ${max} characters)` : `'${v}'`;
        const vaultText = shown(vault, NAME_RULES.keyVault.max),
            keyText = shown(keyName, NAME_RULES.keyVaultKey.max);
        const bothKnown = vault !== UNKNOWN && keyName !== UNKNOWN;
        reportViolation(
            `vault name ${vaultText} + key name ${keyText} ${bothKnown ? "is" : "could be"} ${total} characters, over ` +
                `${CMK_MAX_VAULT_PLUS_KEY_NAME}`,
        );
    }),
};

export const cmkKeyRotation: FhirResourcePolicy = {
    name: "cmk-key-rotation",
    description: "CMK keys have a rotation policy that rotates them, or at least an expiry, so a key is not used forever.",
    enforcementLevel: "advisory",
    remediationSteps:
        'Give properties.rotationPolicy a lifetime action { action: { type: "rotate" }, trigger: { timeAfterCreate: "P365D" } } (the ' +
        "platform's keyRotationDays), or set properties.attributes.expires.",
    validateResource: validateResourceOfType(keyvault.Key, (key, _args, reportViolation) => {
        const p = key.properties;
        const rotates = (p.rotationPolicy?.lifetimeActions ?? []).some((a) => a.action?.type?.toLowerCase() === "rotate");
        const expires = p.attributes?.expires !== undefined || p.rotationPolicy?.attributes?.expiryTime !== undefined;
        if (!rotates && !expires) reportViolation("the key neither rotates nor expires");
    }),
};

export interface HsmKeysConfig {
    requireHsmKeys: boolean;
}

const PREMIUM_SKU = "premium";

/**
 * For organisations that mandate HSM-protected keys. "Configure customer-managed keys for the FHIR service" lists key
 * type RSA only; "Configure customer-managed keys for the DICOM service" lists "RSA-HSM or RSA". So an RSA-HSM key is
 * documented for DICOM, not for FHIR: prove it with a FHIR service in a test subscription before requiring it.
 */
export const keyVaultHsmKeys: FhirResourcePolicy = {
    name: "keyvault-hsm-keys",
    description:
        "Off by default (config `requireHsmKeys: false`). When on: CMK keys are RSA-HSM and their vaults Premium (HSM-backed keys " +
        "need the Premium tier). Microsoft's FHIR CMK page lists key type RSA only (RSA-HSM is listed for DICOM): check that your " +
        "FHIR services accept an RSA-HSM key before requiring it.",
    enforcementLevel: "mandatory",
    remediationSteps:
        'Create the vault with properties.sku { family: "A", name: "premium" } and the key with properties.kty: "RSA-HSM" (a key\'s ' +
        "type is fixed at creation: move to a new key, see docs/keys.md); the platform's components create RSA keys in Standard " +
        "vaults, so they need an HSM option first. Or leave requireHsmKeys off.",
    configSchema: {
        properties: {
            requireHsmKeys: { type: "boolean", default: false, description: "Require RSA-HSM keys in Premium vaults." },
        },
    },
    // One validation for both types, not an array of validateResourceOfType: those throw "not applicable" for every
    // resource of the other types, which costs more than the whole rule.
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPES.key && args.type !== TYPES.vault) return;
        if (!args.getConfig<HsmKeysConfig>().requireHsmKeys) return;
        const key = args.asType(keyvault.Key);
        if (key && key.properties.kty !== "RSA-HSM")
            reportViolation(`key type is ${key.properties.kty ?? "unset"}: HSM-protected keys are required (RSA-HSM)`);
        const sku = args.asType(keyvault.Vault)?.properties.sku?.name;
        if (args.type === TYPES.vault && sku?.toLowerCase() !== PREMIUM_SKU)
            reportViolation(`the vault's tier is ${sku ?? "unset"}: HSM-protected keys need a Premium vault`);
    },
};

export const cmkKeyPolicies = [cmkKeyRsa, cmkKeyWrapUnwrap, cmkKeyNameLength, cmkKeyRotation, keyVaultHsmKeys];
