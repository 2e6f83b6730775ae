/*
 * lightning/pageReferenceUtils, stood in (Salesforce's "Page Reference Utils" reference): the
 * default field values of a `standard__objectPage` `new` page reference, as the one string
 * `state.defaultFieldValues` carries: `Field=value` pairs joined by commas, each value
 * URI-encoded (so a comma or an equals sign in it survives). Decoding gives every value as a
 * string: "field type isn't preserved".
 */

/** `{LastName: 'Pérez', neoSyncId__c: '706452004931707777'}` → `LastName=P%C3%A9rez,neoSyncId__c=706452004931707777`. */
export function encodeDefaultFieldValues(defaultFieldValues) {
    const values = defaultFieldValues || {};
    return Object.keys(values)
        .filter((field) => values[field] !== undefined)
        .map((field) => field + '=' + encodeURIComponent(values[field] === null ? '' : String(values[field])))
        .join(',');
}

/** The string back as an object of strings. */
export function decodeDefaultFieldValues(encodedDefaultFieldValuesString) {
    const out = {};
    String(encodedDefaultFieldValuesString || '')
        .split(',')
        .filter((pair) => pair.length > 0)
        .forEach((pair) => {
            const at = pair.indexOf('=');
            const field = at < 0 ? pair : pair.slice(0, at);
            const value = at < 0 ? '' : pair.slice(at + 1);
            out[field] = decodeURIComponent(value);
        });
    return out;
}
