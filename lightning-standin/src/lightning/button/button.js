/*
 * lightning-button, stood in (Salesforce's component reference): a button with `label`,
 * `variant` (base, neutral, brand, brand-outline, destructive, destructive-text, inverse,
 * success; neutral by default), `disabled`, `title`, `name`, `value`, `type` and `icon-name`
 * (a glyph here). A click reaches the `onclick` of whoever placed it, unless it is disabled.
 */
import { LightningElement, api } from 'lwc';
import { glyph } from 'lightning/iconGlyphs';

export default class Button extends LightningElement {
    @api label = '';
    @api variant = 'neutral';
    @api disabled = false;
    @api title;
    @api name;
    @api value;
    @api type = 'button';
    @api iconName;
    @api iconPosition = 'left';

    get buttonClass() {
        return 'button ' + (this.variant || 'neutral');
    }

    get icon() {
        return this.iconName ? glyph(this.iconName) : '';
    }

    get iconFirst() {
        return !!this.icon && this.iconPosition !== 'right';
    }

    get iconLast() {
        return !!this.icon && this.iconPosition === 'right';
    }

    /** Focuses the button. */
    @api
    focus() {
        const button = this.template.querySelector('button');
        if (button) {
            button.focus();
        }
    }

    /** Clicks the button, as a person would (nothing when it is disabled). */
    @api
    click() {
        const button = this.template.querySelector('button');
        if (button) {
            button.click();
        }
    }
}
