/*
 * lightning-card, stood in (Salesforce's component reference): an article with a header (the
 * `title`, or the `title` slot, beside the `icon-name`'s tile), an `actions` slot, the body (the
 * default slot) and a `footer` slot.
 */
import { LightningElement, api } from 'lwc';
import { glyph } from 'lightning/iconGlyphs';

export default class Card extends LightningElement {
    @api title;
    @api iconName;
    @api variant;

    get icon() {
        return this.iconName ? glyph(this.iconName) : '';
    }
}
