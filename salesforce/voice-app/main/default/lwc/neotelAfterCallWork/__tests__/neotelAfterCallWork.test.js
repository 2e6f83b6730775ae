/*
 * The after-call work form (F-RELEASE, F-AGENDA): drawn from the contact's draft and the view's
 * categories, every change sent back as `draft`, the release, categorization and schedule sent
 * as the Open CTI page sends them, the buttons as the view's actions allow.
 */
import NeotelAfterCallWork from 'c/neotelAfterCallWork';
import { actions, byId, change, click, commands, deliver, deliverNow, idleView, mount, start, wrapUpView } from 'neotel-test';

afterEach(() => {
    jest.useRealTimers();
    while (document.body.firstChild) {
        document.body.removeChild(document.body.firstChild);
    }
    jest.clearAllMocks();
});

function form() {
    return mount('c-neotel-after-call-work', NeotelAfterCallWork);
}

function drafts() {
    return commands().filter((c) => c.command === 'draft');
}

describe('neotelAfterCallWork', () => {
    it('shows nothing to fill in while no contact is on screen', async () => {
        const element = form();
        await start(idleView());
        expect(byId(element, 'category')).toBeNull();
        expect(element.shadowRoot.querySelector('lightning-card').title).toBe('No campaign');
    });

    it('draws the contact’s draft: category / subcategory, notes, the callback’s date, time and phone', async () => {
        const element = form();
        await start(
            wrapUpView({
                contact: Object.assign(wrapUpView().contact, {
                    draft: {
                        subcategory: 28,
                        notes: 'Pide que lo llamen mañana',
                        scheduleAt: '2026-11-25T10:30:00',
                        schedulePhone: '1155550000'
                    }
                })
            })
        );
        expect(element.shadowRoot.querySelector('lightning-card').title).toBe('Wrap-up');
        const category = byId(element, 'category');
        expect(category.label).toBe('Category');
        expect(category.options).toEqual([
            { label: '—', value: '' },
            { label: 'Venta / Venta concretada', value: '26' },
            { label: 'Rechazo / No interesado', value: '27' },
            { label: 'Agenda / Volver a llamar', value: '28' }
        ]);
        expect(category.value).toBe('28');
        expect(byId(element, 'notes').value).toBe('Pide que lo llamen mañana');
        expect(byId(element, 'date').value).toBe('2026-11-25');
        expect(byId(element, 'time').value).toBe('10:30:00.000');
        expect(byId(element, 'phone').value).toBe('1155550000');
        expect(byId(element, 'phone').label).toBe('Other phone');
    });

    it('enables exactly the view’s actions, the primary one first in sight', async () => {
        const element = form();
        await start(wrapUpView({ actions: actions({ categorize: true, schedule: true }), primary: 'categorize' }));
        expect(byId(element, 'categorize').disabled).toBe(false);
        expect(byId(element, 'categorize').variant).toBe('brand');
        expect(byId(element, 'schedule').disabled).toBe(false);
        expect(byId(element, 'schedule').variant).toBe('neutral');
        expect(byId(element, 'release').disabled).toBe(true);
        expect(byId(element, 'release').label).toBe('Release without category');
        // During the call the form can be filled in, but there is nothing to release yet.
        await deliver({ neotel: 1, type: 'view', view: wrapUpView({ actions: actions({ hangup: true }), primary: 'hangup' }) });
        expect(byId(element, 'categorize')).toBeNull();
        expect(byId(element, 'category')).not.toBeNull();
    });

    it('sends the draft when a category, date or time is chosen', async () => {
        const element = form();
        await start(wrapUpView());
        await change(byId(element, 'category'), '26');
        await change(byId(element, 'date'), '2026-11-25');
        await change(byId(element, 'time'), '15:30:00.000');
        expect(drafts()).toEqual([
            { command: 'draft', contact: 3, subcategory: 26, notes: '', at: null, phone: '' },
            { command: 'draft', contact: 3, subcategory: 26, notes: '', at: null, phone: '' },
            { command: 'draft', contact: 3, subcategory: 26, notes: '', at: '2026-11-25T15:30:00', phone: '' }
        ]);
    });

    it('sends what is typed once the typing pauses, or at once when the focus leaves the form', async () => {
        const element = form();
        await start(wrapUpView());
        jest.useFakeTimers();
        const notes = byId(element, 'notes');
        for (const text of ['c', 'cl', 'cliente conforme']) {
            notes.dispatchEvent(new CustomEvent('change', { detail: { value: text } }));
        }
        jest.runOnlyPendingTimers();
        expect(drafts()).toEqual([{ command: 'draft', contact: 3, subcategory: null, notes: 'cliente conforme', at: null, phone: '' }]);

        const phone = byId(element, 'phone');
        phone.dispatchEvent(new CustomEvent('focusin', { bubbles: true, composed: true }));
        phone.dispatchEvent(new CustomEvent('change', { detail: { value: '1155550000' } }));
        phone.dispatchEvent(new CustomEvent('focusout', { bubbles: true, composed: true }));
        expect(drafts()[1]).toEqual({ command: 'draft', contact: 3, subcategory: null, notes: 'cliente conforme', at: null, phone: '1155550000' });
        jest.runOnlyPendingTimers();
        expect(drafts()).toHaveLength(2);
    });

    it('keeps what the agent types while the view echoes an older draft', async () => {
        const element = form();
        await start(wrapUpView());
        const notes = byId(element, 'notes');
        notes.dispatchEvent(new CustomEvent('focusin', { bubbles: true, composed: true }));
        await change(notes, 'cliente conf');
        await deliver({ neotel: 1, type: 'view', view: wrapUpView() });
        expect(byId(element, 'notes').value).toBe('cliente conf');
    });

    it('releases with the chosen category and the notes, for the contact on screen', async () => {
        const element = form();
        await start(wrapUpView());
        await change(byId(element, 'category'), '26');
        await change(byId(element, 'notes'), 'cliente conforme');
        await click(byId(element, 'categorize'));
        expect(commands().filter((c) => c.command !== 'draft')).toEqual([
            { command: 'release', subcategory: 26, notes: 'cliente conforme', contact: 3 }
        ]);
        // The notes' draft was still waiting: the release carries them, no draft follows it.
        expect(commands()[commands().length - 1].command).toBe('release');
    });

    it('releases without a category (plain release)', async () => {
        const element = form();
        await start(wrapUpView());
        await click(byId(element, 'release'));
        expect(commands()).toEqual([{ command: 'release', subcategory: null, notes: '', contact: 3 }]);
    });

    it('schedules a callback at the agent’s wall time, with its offset and the other phone', async () => {
        const element = form();
        await start(wrapUpView());
        await change(byId(element, 'category'), '28');
        await change(byId(element, 'date'), '2026-11-25');
        await change(byId(element, 'time'), '15:30:00.000');
        await change(byId(element, 'phone'), '1155550000');
        await click(byId(element, 'schedule'));
        const schedule = commands().find((c) => c.command === 'schedule');
        expect(schedule).toEqual({
            command: 'schedule',
            at: '2026-11-25T15:30:00',
            agentOffsetMinutes: -new Date(2026, 10, 25, 15, 30).getTimezoneOffset(),
            subcategory: 28,
            phone: '1155550000',
            notes: '',
            contact: 3
        });
    });

    it('schedules without a date as the agent left it: the core says what is missing', async () => {
        const element = form();
        await start(wrapUpView());
        await click(byId(element, 'schedule'));
        expect(commands()).toEqual([
            { command: 'schedule', at: null, agentOffsetMinutes: 0, subcategory: null, phone: '', notes: '', contact: 3 }
        ]);
        await deliver({ neotel: 1, type: 'refused', command: 'schedule', message: { code: 'noScheduleDate' } });
        expect(byId(element, 'refusal').textContent.trim()).toBe("Choose the schedule's date and time.");
    });

    it('starts the next contact from its own draft, never sending the last one’s', async () => {
        const element = form();
        await start(wrapUpView());
        jest.useFakeTimers();
        byId(element, 'notes').dispatchEvent(new CustomEvent('change', { detail: { value: 'para el contacto 3' } }));
        const next = wrapUpView();
        next.contact = Object.assign({}, next.contact, {
            handle: 4,
            draft: { subcategory: 27, notes: '', scheduleAt: null, schedulePhone: '' }
        });
        deliverNow({ neotel: 1, type: 'view', view: next });
        jest.runOnlyPendingTimers();
        expect(drafts()).toEqual([]);
        jest.useRealTimers();
        await Promise.resolve();
        expect(byId(element, 'category').value).toBe('27');
        expect(byId(element, 'notes').value).toBe('');
    });

    it('shows the automatic release’s countdown the view gives', async () => {
        const element = form();
        await start(wrapUpView({ autoReleaseInSecs: 12 }));
        expect(byId(element, 'countdown').textContent).toBe('Automatic release in 12 s');
        await deliver({ neotel: 1, type: 'view', view: wrapUpView() });
        expect(byId(element, 'countdown')).toBeNull();
    });

    it('is worded in Spanish for a Spanish-speaking agent', async () => {
        const element = form();
        await start(wrapUpView(), 'es');
        expect(byId(element, 'category').label).toBe('Categoría');
        expect(byId(element, 'notes').label).toBe('Notas de la gestión');
        expect(byId(element, 'categorize').label).toBe('Categorizar y liberar');
        expect(byId(element, 'schedule').label).toBe('Agendar');
        expect(byId(element, 'release').label).toBe('Liberar sin categoría');
        expect(byId(element, 'date').label).toBe('Agendar para');
    });
});
