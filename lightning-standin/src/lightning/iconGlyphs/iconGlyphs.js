/*
 * The stand-in's icons: Salesforce's are SVG sprites it serves; here an `icon-name`
 * ("standard:campaign", "utility:refresh") becomes a glyph every system font has, and an
 * unknown one its first letter. Not a Salesforce module: the stand-in's base components share it.
 */
const GLYPHS = {
    'utility:refresh': '↻',
    'utility:close': '×',
    'utility:search': '⌕',
    'standard:call': '☎',
    'standard:campaign': '⚑',
    'standard:disposition': '✓',
    'standard:sms': '✉',
    'standard:sync': '↻',
    'standard:record_lookup': '≡'
};

/** The glyph of `iconName`. */
export function glyph(iconName) {
    const name = String(iconName || '');
    if (GLYPHS[name]) {
        return GLYPHS[name];
    }
    const after = name.split(':')[1] || name;
    return after.charAt(0).toUpperCase();
}

