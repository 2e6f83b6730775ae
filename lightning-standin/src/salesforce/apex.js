/*
 * The org's Apex, stood in: what `@salesforce/apex/NeotelLightning.{method}` imports. Each is a
 * function of one object of parameters answering a promise, as Salesforce's imperative Apex
 * calls are; the rules are NeotelLightning.cls's (salesforce/voice-app/…/classes/), run over the
 * stand-in org. An unknown method or a refusal rejects as Salesforce does: `{status, body:
 * {message, exceptionType}}`.
 */
import { host } from '../platform';

/** The objects Neotel searches and reads. */
const OBJECTS = ['Contact', 'Account', 'Lead', 'Opportunity'];
/** NeotelLightning's SOSL takes at most 20 records of each object. */
const PER_OBJECT = 20;

function auraError(message, exceptionType) {
    const error = new Error(message);
    error.status = 500;
    error.body = { message, exceptionType: exceptionType || 'System.AuraHandledException', isUserDefinedException: false };
    return error;
}

/** NeotelLightning.searchRecords: the record whose Id the key is, else what the search finds
 * (at most 20 of each object; a key under 2 characters finds nothing). */
function searchRecords({ key }) {
    const org = host().org;
    const text = String(key === null || key === undefined ? '' : key).trim();
    if (!text) {
        return [];
    }
    const byId = org.records[text];
    if (byId && OBJECTS.includes(byId.type)) {
        return [match(byId)];
    }
    if (text.length < 2) {
        return [];
    }
    const found = org.search(text, OBJECTS);
    return OBJECTS.flatMap((type) => found.filter((r) => r.type === type).slice(0, PER_OBJECT)).map(match);
}

function match(record) {
    return { id: record.Id, objectType: record.type, name: record.Name || null };
}

/** NeotelLightning.readRecord: the record's fields (NeotelDataRetrieval's), numbers as text so
 * an 18-digit neoSyncId__c keeps its digits; null when there is no such record of that object. */
function readRecord({ recordId, objectType }) {
    if (!OBJECTS.includes(objectType)) {
        throw auraError('Neotel reads Contact, Account, Lead and Opportunity records, not ' + objectType);
    }
    const record = host().org.records[String(recordId || '').trim()];
    if (!record || record.type !== objectType) {
        return null;
    }
    const out = {};
    Object.keys(record)
        .filter((field) => field !== 'type')
        .forEach((field) => {
            const value = record[field];
            out[field] = typeof value === 'number' ? String(value) : value;
        });
    return out;
}

/** NeotelLightning.findCallLog: the Id of the newest Task whose CallObject is the call, or null. */
function findCallLog({ callId }) {
    const tasks = host().org.tasksOfCall(callId);
    return tasks.length ? tasks[0].Id : null;
}

/** NeotelLightning.findCampaignRecord (X-CAMPAIGN-ENTITY): the records of `objectType` whose
 * neoCampaignId__c is `campaign`, as NeotelDataRetrieval.getRecordByNeotelCampaign finds them
 * (nothing for a blank object or campaign, or an object the org does not have). */
function findCampaignRecord({ objectType, campaign }) {
    const type = String(objectType || '').trim();
    const id = String(campaign === null || campaign === undefined ? '' : campaign).trim();
    if (!type || !id) {
        return [];
    }
    return host()
        .org.recordsOf(type)
        .filter((r) => String(r.neoCampaignId__c) === id)
        .map(match);
}

const CLASSES = {
    NeotelLightning: { searchRecords, readRecord, findCallLog, findCampaignRecord }
};

/** The function `@salesforce/apex/{apexClass}.{method}` imports. */
export function apex(apexClass, method) {
    return function (params) {
        return Promise.resolve().then(() => {
            const run = CLASSES[apexClass] && CLASSES[apexClass][method];
            if (!run) {
                throw auraError('Could not find the Apex method ' + apexClass + '.' + method, 'System.NoSuchMethodException');
            }
            host().apexCalled(apexClass + '.' + method, params || {});
            return run(params || {});
        });
    };
}
