/*
 * The campaigns component (F-CAMPAIGN), and what every Neotel component does on the channel:
 * hello when it appears, the server's catalog and views, the refusals of its own commands.
 */
import { subscribe, unsubscribe } from 'lightning/messageService';
import NeotelCampaigns from 'c/neotelCampaigns';
import { CATALOGS, CHANNEL, actions, byId, change, click, commands, deliver, idleView, mount, published, start } from 'neotel-test';

afterEach(() => {
    while (document.body.firstChild) {
        document.body.removeChild(document.body.firstChild);
    }
    jest.clearAllMocks();
});

function campaigns() {
    return mount('c-neotel-campaigns', NeotelCampaigns);
}

describe('every Neotel component', () => {
    it('says hello on the channel when it appears, and listens to it application-wide', () => {
        campaigns();
        expect(subscribe).toHaveBeenCalledWith(undefined, CHANNEL, expect.any(Function), { scope: expect.anything() });
        expect(published()).toEqual([{ source: 'NEOTEL', payload: { neotel: 1, type: 'hello' } }]);
    });

    it('waits for the catalog and the view, showing a spinner until then', async () => {
        const element = campaigns();
        expect(element.shadowRoot.querySelector('lightning-spinner')).not.toBeNull();
        await deliver({ neotel: 1, type: 'view', view: idleView() });
        expect(element.shadowRoot.querySelector('lightning-spinner')).not.toBeNull();
        // A view without a catalog: its hello was lost before the connector was up; once more.
        expect(published().filter((m) => m.payload.type === 'hello')).toHaveLength(2);
        await deliver({ neotel: 1, type: 'catalog', language: 'en', messages: CATALOGS.en });
        expect(element.shadowRoot.querySelector('lightning-spinner')).toBeNull();
        expect(byId(element, 'status').textContent).toBe('No campaign');
    });

    it('answers the server’s roll call with a hello (its first one may have been lost)', async () => {
        campaigns();
        await deliver({ neotel: 1, type: 'roll' });
        expect(published().filter((m) => m.payload.type === 'hello')).toHaveLength(2);
    });

    it('ignores what is not the connector’s, and stops listening when removed', async () => {
        const element = campaigns();
        await deliver({ neotel: 1, type: 'catalog', language: 'en', messages: {} }, 'NEOTEL');
        await deliver({ message: 'ping' });
        expect(element.shadowRoot.querySelector('lightning-spinner')).not.toBeNull();
        document.body.removeChild(element);
        expect(unsubscribe).toHaveBeenCalled();
    });

    it('words everything in the agent’s language', async () => {
        const element = campaigns();
        await start(idleView(), 'es');
        expect(byId(element, 'status').textContent).toBe('Sin campaña');
        expect(byId(element, 'join').label).toBe('Ingresar a la campaña');
        expect(byId(element, 'leave').label).toBe('Salir de la campaña');
        expect(byId(element, 'campaign').label).toBe('Campaña');
    });
});

describe('neotelCampaigns', () => {
    it('lists the view’s campaigns and joins the one picked', async () => {
        const element = campaigns();
        await start(idleView());
        const list = byId(element, 'campaign');
        expect(list.options).toEqual([
            { label: '97 - SALESFORCE', value: '97' },
            { label: '98 - SALESFORCE PREVIEW', value: '98' }
        ]);
        expect(list.value).toBe('97');
        expect(byId(element, 'join').disabled).toBe(false);
        expect(byId(element, 'join').variant).toBe('brand');
        expect(byId(element, 'leave').disabled).toBe(true);
        await change(list, '98');
        await click(byId(element, 'join'));
        expect(commands()).toEqual([{ command: 'joinCampaign', campaign: 98 }]);
    });

    it('joins only what the view allows: in a campaign, the others; leaving when allowed', async () => {
        const element = campaigns();
        await start(
            idleView({
                status: 'available',
                statusLabel: { code: 'statusAvailable' },
                campaign: 97,
                actions: actions({ joinCampaign: true, leaveCampaign: true, takeBreak: true }),
                joinTargets: [98],
                primary: null
            })
        );
        expect(byId(element, 'status').textContent).toBe('Available');
        expect(byId(element, 'campaign').value).toBe('97');
        expect(byId(element, 'join').disabled).toBe(true);
        expect(byId(element, 'join').variant).toBe('neutral');
        await change(byId(element, 'campaign'), '98');
        expect(byId(element, 'join').disabled).toBe(false);
        await click(byId(element, 'leave'));
        expect(commands()).toEqual([{ command: 'leaveCampaign' }]);
    });

    it('keeps the campaign list when a later view carries only the lists that changed', async () => {
        const element = campaigns();
        await start(idleView());
        await deliver({
            neotel: 1,
            type: 'view',
            view: idleView({ lists: { categories: [{ id: 26, name: 'Venta concretada', group: 'Venta' }] }, actions: actions() })
        });
        expect(byId(element, 'campaign').options).toHaveLength(2);
        expect(byId(element, 'join').disabled).toBe(true);
    });

    it('shows the refusal of its own command in words, until it sends again', async () => {
        const element = campaigns();
        await start(idleView());
        await deliver({ neotel: 1, type: 'refused', command: 'joinCampaign', message: { code: 'unknownCampaign', params: { campaign: 97 } } });
        expect(byId(element, 'refusal').textContent.trim()).toBe('There is no campaign 97.');
        expect(byId(element, 'refusal').getAttribute('role')).toBe('alert');
        await click(byId(element, 'join'));
        expect(byId(element, 'refusal')).toBeNull();
    });

    it('leaves other components’ refusals to them', async () => {
        const element = campaigns();
        await start(idleView());
        await deliver({ neotel: 1, type: 'refused', command: 'release', message: { code: 'categoryRequired' } });
        expect(byId(element, 'refusal')).toBeNull();
    });
});
