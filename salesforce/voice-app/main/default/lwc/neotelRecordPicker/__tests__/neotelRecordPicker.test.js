/*
 * The record picker (W-SCREENPOP, several matches): the view's candidates as buttons, the one
 * the agent picks sent as `pickRecord`; nothing shown without candidates.
 */
import NeotelRecordPicker from 'c/neotelRecordPicker';
import { CATALOGS, click, commands, deliver, mount, start, wrapUpView } from 'neotel-test';

afterEach(() => {
    while (document.body.firstChild) {
        document.body.removeChild(document.body.firstChild);
    }
    jest.clearAllMocks();
});

function withCandidates() {
    const view = wrapUpView({ status: 'withContact', statusLabel: { code: 'statusRinging', params: { phone: '1141007000' } } });
    view.contact = Object.assign({}, view.contact, {
        record: null,
        candidates: [
            { id: '0038d0000000001AAA', objectType: 'Contact', name: 'María González' },
            { id: '0018d0000000001AAA', objectType: 'Account', name: 'Grupo Andino S.A.' }
        ]
    });
    return view;
}

describe('neotelRecordPicker', () => {
    it('shows nothing while there is nothing to pick', async () => {
        const element = mount('c-neotel-record-picker', NeotelRecordPicker);
        await start(wrapUpView());
        expect(element.shadowRoot.querySelector('lightning-card')).toBeNull();
    });

    it('lists the matches and sends the one picked', async () => {
        const element = mount('c-neotel-record-picker', NeotelRecordPicker);
        await start(withCandidates());
        expect(element.shadowRoot.querySelector('lightning-card').title).toBe(CATALOGS.en['ui.pick']);
        const buttons = Array.from(element.shadowRoot.querySelectorAll('lightning-button'));
        expect(buttons.map((b) => b.label)).toEqual(['Contact: María González', 'Account: Grupo Andino S.A.']);
        await click(buttons[1]);
        expect(commands()).toEqual([{ command: 'pickRecord', id: '0018d0000000001AAA' }]);
    });

    it('shows a refusal, and goes away once the view has a record', async () => {
        const element = mount('c-neotel-record-picker', NeotelRecordPicker);
        await start(withCandidates(), 'es');
        await deliver({ neotel: 1, type: 'refused', command: 'pickRecord', message: { code: 'unknownRecord' } });
        expect(element.shadowRoot.querySelector('[data-id="refusal"]').textContent.trim()).toBe('Ese registro no está entre los encontrados.');
        await deliver({ neotel: 1, type: 'view', view: wrapUpView() });
        expect(element.shadowRoot.querySelector('lightning-card')).toBeNull();
    });
});
