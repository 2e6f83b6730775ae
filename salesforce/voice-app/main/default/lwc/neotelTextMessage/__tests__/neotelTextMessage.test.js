/*
 * The text message component (F-SMS): shown while the view allows a text, sends `sendText`
 * with the channel, number (empty: the call's) and text, clears the text once the core says it
 * went.
 */
import NeotelTextMessage from 'c/neotelTextMessage';
import { actions, byId, change, click, commands, deliver, idleView, mount, start } from 'neotel-test';

afterEach(() => {
    while (document.body.firstChild) {
        document.body.removeChild(document.body.firstChild);
    }
    jest.clearAllMocks();
});

function talking(overrides = {}) {
    return idleView(
        Object.assign(
            {
                status: 'withContact',
                statusLabel: { code: 'statusTalking', params: { phone: '1141007000' } },
                call: { id: 1159450, phone: '1141007000', direction: 'outbound', phase: 'talking', bridged: true, queue: null, conference: null, participants: [] },
                actions: actions({ hangup: true, sendText: true }),
                primary: 'hangup'
            },
            overrides
        )
    );
}

describe('neotelTextMessage', () => {
    it('is not offered while the view does not allow a text', async () => {
        const element = mount('c-neotel-text-message', NeotelTextMessage);
        await start(idleView());
        expect(byId(element, 'send')).toBeNull();
        expect(element.shadowRoot.querySelector('lightning-card').title).toBe('Text message');
    });

    it('sends the text by the chosen channel; an empty number is the call’s', async () => {
        const element = mount('c-neotel-text-message', NeotelTextMessage);
        await start(talking());
        expect(byId(element, 'channel').options.map((o) => o.value)).toEqual(['sms', 'whatsapp']);
        expect(byId(element, 'phone').placeholder).toBe('1141007000');
        expect(byId(element, 'phone').label).toBe('Number');
        expect(byId(element, 'text').label).toBe('Message text');
        await change(byId(element, 'channel'), 'whatsapp');
        await change(byId(element, 'text'), 'Le envío el presupuesto');
        await click(byId(element, 'send'));
        expect(commands()).toEqual([{ command: 'sendText', channel: 'whatsapp', phone: '', text: 'Le envío el presupuesto' }]);
    });

    it('clears the text once the core says it was sent, and says so', async () => {
        const element = mount('c-neotel-text-message', NeotelTextMessage);
        await start(talking());
        await change(byId(element, 'phone'), '1155550000');
        await change(byId(element, 'text'), 'Hola');
        await click(byId(element, 'send'));
        expect(commands()).toEqual([{ command: 'sendText', channel: 'sms', phone: '1155550000', text: 'Hola' }]);
        await deliver({ neotel: 1, type: 'view', view: talking({ warnings: [{ code: 'textSent' }] }) });
        expect(byId(element, 'text').value).toBe('');
        expect(byId(element, 'phone').value).toBe('1155550000');
        expect(byId(element, 'sent').textContent).toBe('Message sent.');
    });

    it('shows the core’s refusal', async () => {
        const element = mount('c-neotel-text-message', NeotelTextMessage);
        await start(talking(), 'es');
        await click(byId(element, 'send'));
        await deliver({ neotel: 1, type: 'refused', command: 'sendText', message: { code: 'textIncomplete' } });
        expect(byId(element, 'refusal').textContent.trim()).toBe('Falta el número o el texto del mensaje.');
        expect(byId(element, 'send').label).toBe('Enviar');
    });
});
