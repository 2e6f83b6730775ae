/*
 * The contact center's message bridge (ConversationVendorInfo's bridgeComponent): Salesforce
 * gives it the connector's MESSAGE events (`publishMessage`) and a way back (`handleMessage`).
 * It relays between the connector and the Neotel components on the message channel, runs the
 * core's requests with Salesforce's standard APIs and answers them, and reports which record
 * the agent is looking at (W-SYNC). Salesforce's rule for a bridge: no markup of its own.
 * Only this component runs requests; the others draw and send commands.
 */
import { LightningElement, api, wire } from 'lwc';
import { APPLICATION_SCOPE, MessageContext, publish, subscribe, unsubscribe } from 'lightning/messageService';
import { CurrentPageReference, NavigationMixin } from 'lightning/navigation';
import { encodeDefaultFieldValues } from 'lightning/pageReferenceUtils';
import { createRecord, updateRecord } from 'lightning/uiRecordApi';
import { IsConsoleNavigation, getFocusedTabInfo, getTabInfo } from 'lightning/platformWorkspaceApi';
import CHANNEL from '@salesforce/messageChannel/ServiceCloudVoiceMessageChannel__c';
import TAB_FOCUSED from '@salesforce/messageChannel/lightning__tabFocused';
import searchRecords from '@salesforce/apex/NeotelLightning.searchRecords';
import readRecord from '@salesforce/apex/NeotelLightning.readRecord';
import findCallLog from '@salesforce/apex/NeotelLightning.findCallLog';
import findCampaignRecord from '@salesforce/apex/NeotelLightning.findCampaignRecord';
import { COMPONENT_TYPES, FROM_CONNECTOR, answer, isNeotel, navigation, runRequest } from 'c/neotelProtocol';

export default class NeotelBridge extends NavigationMixin(LightningElement) {
    /** Set by Salesforce: hands a message to the connector (its `handleMessage`). */
    @api handleMessage;

    @wire(MessageContext) messageContext;
    @wire(IsConsoleNavigation) isConsole;

    /** The page shown, as the last CurrentPageReference said. */
    page = null;
    /** The record last reported to the connector (no repeats). */
    reported;
    subscriptions = [];

    @wire(CurrentPageReference)
    pageChanged(page) {
        this.page = page || null;
        this.report(recordOfPage(this.page));
    }

    connectedCallback() {
        this.subscriptions = [
            subscribe(this.messageContext, CHANNEL, (message) => this.fromComponents(message), {
                scope: APPLICATION_SCOPE
            }),
            // In a console app the page reference does not follow the workspace tabs: their focus
            // says which record the agent looks at.
            subscribe(this.messageContext, TAB_FOCUSED, (message) => this.tabFocused(message), {
                scope: APPLICATION_SCOPE
            })
        ];
    }

    disconnectedCallback() {
        this.subscriptions.forEach((s) => unsubscribe(s));
        this.subscriptions = [];
    }

    /** Salesforce: the connector published a MESSAGE. The components get it; a request runs here. */
    @api
    publishMessage(message) {
        publish(this.messageContext, CHANNEL, { source: FROM_CONNECTOR, payload: message });
        if (isNeotel(message) && message.type === 'request') {
            this.run(message);
        }
    }

    /** A component's hello or command, for the connector. */
    fromComponents(message) {
        if (
            message &&
            message.source !== FROM_CONNECTOR &&
            isNeotel(message.payload) &&
            COMPONENT_TYPES.includes(message.payload.type)
        ) {
            this.toConnector(message.payload);
        }
    }

    toConnector(payload) {
        if (typeof this.handleMessage === 'function') {
            this.handleMessage(payload);
        }
    }

    run(request) {
        return runRequest(request, this.salesforce()).then((outcome) =>
            this.toConnector(answer(request.id, outcome))
        );
    }

    /** Salesforce's APIs as runRequest takes them. */
    salesforce() {
        return {
            searchRecords: (key) => searchRecords({ key }),
            readRecord: (recordId, objectType) => readRecord({ recordId, objectType }),
            findCallLog: (callId) => findCallLog({ callId }),
            findCampaignRecord: (objectType, campaign) => findCampaignRecord({ objectType, campaign }),
            navigate: (pageReference) => this[NavigationMixin.Navigate](pageReference),
            encodeDefaultFieldValues,
            updateRecord,
            createRecord,
            currentRecord: () => this.currentRecord()
        };
    }

    /** The record the agent is looking at: the focused workspace tab's in a console app, else
     * the page's. */
    currentRecord() {
        if (this.isConsole) {
            return getFocusedTabInfo().then(recordOfTab, () => recordOfPage(this.page));
        }
        return recordOfPage(this.page);
    }

    tabFocused(message) {
        const tabId = message && message.currentTabId;
        if (!tabId) {
            return;
        }
        getTabInfo(tabId).then(
            (tab) => this.report(recordOfTab(tab)),
            () => {}
        );
    }

    /** Tells the connector what Salesforce shows, when it changed. */
    report(record) {
        const key = record ? record.id + '/' + (record.name || '') : '';
        if (key === this.reported) {
            return;
        }
        this.reported = key;
        this.toConnector(navigation(record));
    }
}

/** A record page's record (`{id, objectType, name: null}`), or null. */
function recordOfPage(page) {
    const attributes = (page && page.attributes) || {};
    if (!page || page.type !== 'standard__recordPage' || !attributes.recordId) {
        return null;
    }
    return { id: attributes.recordId, objectType: attributes.objectApiName || null, name: null };
}

/** A workspace tab's record, its label as the record's name, or null. */
function recordOfTab(tab) {
    if (!tab || !tab.recordId) {
        return null;
    }
    const attributes = (tab.pageReference && tab.pageReference.attributes) || {};
    return { id: tab.recordId, objectType: attributes.objectApiName || null, name: tab.title || null };
}
