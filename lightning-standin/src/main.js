/*
 * The Lightning side of the Salesforce Voice stand-in host, as one script (the bundle build.mjs
 * writes to cti-server/web/standin-voice/lightning.js): Neotel's real Lightning web components
 * (salesforce/voice-app/main/default/lwc/, compiled as they are) on the open-source LWC engine,
 * with stand-ins of the Salesforce modules and base components they use. The host page starts it
 * with what stands for Salesforce (its org and console) and places the components:
 *
 *   StandinLightning.start(host);   // host: {org, navigate, url, workspace, changed, apexCalled}
 *   const bridge = StandinLightning.mount('neotelBridge', container);
 *   bridge.handleMessage = (message) => …;   // Salesforce's side of the MESSAGE bridge
 *   bridge.publishMessage(payload);
 */
import { createElement } from 'lwc';
import NeotelBridge from 'c/neotelBridge';
import NeotelCampaigns from 'c/neotelCampaigns';
import NeotelAfterCallWork from 'c/neotelAfterCallWork';
import NeotelTextMessage from 'c/neotelTextMessage';
import NeotelInfo from 'c/neotelInfo';
import NeotelRecordPicker from 'c/neotelRecordPicker';
import NeotelSync from 'c/neotelSync';
import { publish, published, subscribers } from 'lightning/messageService';
import { pageChanged } from 'lightning/navigation';
import { setConsoleNavigation } from 'lightning/platformWorkspaceApi';
import { decodeDefaultFieldValues, encodeDefaultFieldValues } from 'lightning/pageReferenceUtils';
import { setHost } from './platform';

/** Neotel's components, by their bundle name, with the tag Salesforce gives each. */
const COMPONENTS = {
    neotelBridge: { tag: 'c-neotel-bridge', is: NeotelBridge },
    neotelCampaigns: { tag: 'c-neotel-campaigns', is: NeotelCampaigns },
    neotelAfterCallWork: { tag: 'c-neotel-after-call-work', is: NeotelAfterCallWork },
    neotelTextMessage: { tag: 'c-neotel-text-message', is: NeotelTextMessage },
    neotelInfo: { tag: 'c-neotel-info', is: NeotelInfo },
    neotelRecordPicker: { tag: 'c-neotel-record-picker', is: NeotelRecordPicker },
    neotelSync: { tag: 'c-neotel-sync', is: NeotelSync }
};

window.StandinLightning = {
    /** The components' names. */
    components: Object.keys(COMPONENTS),

    /** Gives the platform modules their Salesforce: the host page's org and console. */
    start(host) {
        setHost(host);
        setConsoleNavigation(host.isConsole !== false);
    },

    /** Creates component `name` (`neotelCampaigns`) inside `container`; answers its element. */
    mount(name, container) {
        const component = COMPONENTS[name];
        if (!component) {
            throw new Error('no Neotel component ' + name);
        }
        const element = createElement(component.tag, { is: component.is });
        container.appendChild(element);
        return element;
    },

    /** The tag of component `name`. */
    tag(name) {
        return COMPONENTS[name] && COMPONENTS[name].tag;
    },

    /** Publishes on a message channel as a Salesforce page does (the console's lightning__tabFocused). */
    publish(channel, message) {
        publish(null, channel, message);
    },

    /** The messages published on every channel (the latest 1000). */
    published,

    /** Each channel's subscriptions now. */
    subscribers,

    /** The console shows another page: CurrentPageReference follows. */
    pageChanged,

    encodeDefaultFieldValues,
    decodeDefaultFieldValues
};
