/*
 * F-RELEASE and F-AGENDA under Salesforce Voice: the contact's release form. Categories and
 * subcategories come from the view (`lists.categories`: each subcategory with its category's
 * name), the form starts from the contact's draft and every change goes back as the `draft`
 * command (a reload or another tab shows it again); the buttons are the view's `actions`:
 * categorize, schedule, release without a category. The core refuses what is not allowed (a
 * missing category, a date in the past) and says why.
 */
import NeotelElement from 'c/neotelElement';
import { list, splitSchedule, wallTime } from 'c/neotelProtocol';

/** Typing waits this long before its draft goes (a draft per key would flood the session). */
const TYPING_MS = 300;

export default class NeotelAfterCallWork extends NeotelElement {
    /** What the form shows: the draft, as the agent edits it. */
    form = { subcategory: '', notes: '', date: '', time: '', phone: '' };
    /** The contact the form is for (`view.contact.handle`). */
    handle = null;
    /** The agent's focus is in the form: the view's draft does not overwrite what is typed. */
    focused = false;
    typingTimer = null;
    /** The automatic release's deadline (ms since epoch) and the seconds left now. */
    releaseAt = null;
    secondsLeft = null;
    clock = null;

    get sends() {
        return ['draft', 'release', 'schedule'];
    }

    disconnectedCallback() {
        super.disconnectedCallback();
        this.flush();
        this.stopClock();
    }

    viewChanged(previous, view) {
        const contact = view.contact;
        if (!contact) {
            clearTimeout(this.typingTimer);
            this.typingTimer = null;
            this.handle = null;
        } else if (contact.handle !== this.handle) {
            // A new contact: what was typed for the last one is not sent for this one.
            clearTimeout(this.typingTimer);
            this.typingTimer = null;
            this.handle = contact.handle;
            this.form = fromDraft(contact.draft);
        } else if (!this.focused && !this.typingTimer) {
            this.form = fromDraft(contact.draft);
        }
        this.followCountdown(view.autoReleaseInSecs);
    }

    // ----- what it shows

    get hasContact() {
        return !!this.view.contact;
    }

    get heading() {
        return this.ready ? this.say(this.view.statusLabel) : 'Neotel';
    }

    get categoryOptions() {
        const none = { label: '—', value: '' };
        return [none].concat(
            list(this.view, 'categories').map((c) => ({
                label: c.group ? c.group + ' / ' + c.name : c.name,
                value: String(c.id)
            }))
        );
    }

    get timeValue() {
        return this.form.time ? this.form.time + ':00.000' : '';
    }

    get canAct() {
        const a = this.actions;
        return !!(a.categorize || a.release || a.schedule);
    }

    get categorizeDisabled() {
        return !this.actions.categorize;
    }

    get scheduleDisabled() {
        return !this.actions.schedule;
    }

    get releaseDisabled() {
        return !this.actions.release;
    }

    get categorizeVariant() {
        return this.view.primary === 'categorize' ? 'brand' : 'neutral';
    }

    get scheduleVariant() {
        return this.view.primary === 'schedule' ? 'brand' : 'neutral';
    }

    get releaseVariant() {
        return this.view.primary === 'release' ? 'brand' : 'neutral';
    }

    get countdown() {
        return this.secondsLeft === null ? '' : this.ui('autoRelease') + this.secondsLeft + this.ui('seconds');
    }

    get categoryLabel() {
        return this.ui('category');
    }

    get notesLabel() {
        return this.ui('notes');
    }

    get scheduleLabel() {
        return this.ui('schedule');
    }

    get dateLabel() {
        return this.ui('scheduleAt');
    }

    get timeLabel() {
        return this.ui('hour');
    }

    get phoneLabel() {
        return this.ui('schedulePhone');
    }

    get categorizeLabel() {
        return this.ui('categorize');
    }

    get scheduleButtonLabel() {
        return this.ui('schedule');
    }

    get releaseLabel() {
        return this.ui('release');
    }

    // ----- what the agent does

    categoryChanged(event) {
        this.edit({ subcategory: event.detail.value }, true);
    }

    notesChanged(event) {
        this.edit({ notes: event.detail.value }, false);
    }

    dateChanged(event) {
        this.edit({ date: event.detail.value || '' }, true);
    }

    timeChanged(event) {
        this.edit({ time: (event.detail.value || '').slice(0, 5) }, true);
    }

    phoneChanged(event) {
        this.edit({ phone: event.detail.value }, false);
    }

    editing() {
        this.focused = true;
    }

    doneEditing() {
        this.focused = false;
        this.flush();
    }

    categorize() {
        this.settle();
        this.send({
            command: 'release',
            subcategory: this.subcategory,
            notes: this.form.notes,
            contact: this.handle
        });
    }

    release() {
        this.settle();
        this.send({ command: 'release', subcategory: null, notes: this.form.notes, contact: this.handle });
    }

    schedule() {
        this.settle();
        const when = wallTime(this.form.date, this.form.time);
        this.send({
            command: 'schedule',
            at: when.at,
            agentOffsetMinutes: when.agentOffsetMinutes,
            subcategory: this.subcategory,
            phone: this.form.phone,
            notes: this.form.notes,
            contact: this.handle
        });
    }

    // ----- the draft

    /** The form changed: a choice goes at once, typing after a pause. */
    edit(change, now) {
        this.form = Object.assign({}, this.form, change);
        clearTimeout(this.typingTimer);
        this.typingTimer = null;
        if (now) {
            this.sendDraft();
        } else {
            // eslint-disable-next-line @lwc/lwc/no-async-operation
            this.typingTimer = setTimeout(() => this.flush(), TYPING_MS);
        }
    }

    /** Sends what is typed and waiting, if anything is. */
    flush() {
        if (this.typingTimer) {
            clearTimeout(this.typingTimer);
            this.typingTimer = null;
            this.sendDraft();
        }
    }

    /** Before a release or a schedule: the draft waiting is not sent (the command carries it). */
    settle() {
        clearTimeout(this.typingTimer);
        this.typingTimer = null;
    }

    sendDraft() {
        if (this.handle === null || !this.view || !this.view.contact || this.view.contact.handle !== this.handle) {
            return;
        }
        this.send({
            command: 'draft',
            contact: this.handle,
            subcategory: this.subcategory,
            notes: this.form.notes,
            at: wallTime(this.form.date, this.form.time).at,
            phone: this.form.phone
        });
    }

    get subcategory() {
        return this.form.subcategory ? Number(this.form.subcategory) : null;
    }

    // ----- the automatic release's countdown (X-AUTO-RELEASE): the view gives the seconds left

    followCountdown(seconds) {
        if (seconds === null || seconds === undefined) {
            this.stopClock();
            return;
        }
        this.releaseAt = Date.now() + seconds * 1000;
        this.secondsLeft = seconds;
        if (!this.clock) {
            // eslint-disable-next-line @lwc/lwc/no-async-operation
            this.clock = setInterval(() => {
                this.secondsLeft = Math.max(0, Math.ceil((this.releaseAt - Date.now()) / 1000));
            }, 1000);
        }
    }

    stopClock() {
        clearInterval(this.clock);
        this.clock = null;
        this.releaseAt = null;
        this.secondsLeft = null;
    }
}

/** The form's fields from a contact's draft. */
function fromDraft(draft) {
    const d = draft || {};
    const when = splitSchedule(d.scheduleAt);
    return {
        subcategory: d.subcategory === null || d.subcategory === undefined ? '' : String(d.subcategory),
        notes: d.notes || '',
        date: when.date,
        time: when.time,
        phone: d.schedulePhone || ''
    };
}
