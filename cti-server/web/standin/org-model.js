/*
 * The stand-in org: the records and Tasks of the local Salesforce both stand-ins hold (Open
 * CTI's Lightning console, standin/host.js, and Salesforce Voice's host, standin-voice/), so the
 * two search, create and update records by one set of rules. Loaded as a plain script: it
 * defines window.StandinOrg.
 *
 *   var org = StandinOrg.create('neotel-standin-org');   // the session storage key it keeps to
 *   org.load(dataset, orgJson);  // the tab's kept org, else the dataset's records and org.json's
 *   org.search(text, ['Contact', 'Lead']);  // phone digits, Id, neoCrmData__c, name
 *   org.write({entityApiName: 'Contact', Name: 'Ana'});  // creates (or updates by Id): the Id
 *
 * A refused write throws {orgError: true, message, fields}: each stand-in words it as its API
 * does (Open CTI's saveLog details, the UI API's fieldErrors).
 */
window.StandinOrg = (function () {
  'use strict';

  /** The Id prefix of each object the stand-ins know. */
  var PREFIX = { Contact: '003', Account: '001', Lead: '00Q', Opportunity: '006', Campaign: '701', Task: '00T' };
  /** The phone fields a search compares digit for digit. */
  var PHONE_FIELDS = ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone'];

  function digits(s) { return String(s || '').replace(/\D/g, ''); }

  function refused(message, fields) { return { orgError: true, message: message, fields: fields }; }

  function create(storageKey) {
    var org = {
      PREFIX: PREFIX,
      PHONE_FIELDS: PHONE_FIELDS,
      digits: digits,
      /** Id → record (its object in `type`). */
      records: {},
      /** Every Task, in creation order. */
      tasks: [],
      /** Id → LastModifiedDate, kept apart so record pages show only the record's fields. */
      modified: {},
      counter: 1
    };

    /** The next number of the org's Ids (and of anything else the stand-in mints). */
    org.next = function () { return org.counter++; };

    org.newId = function (type) {
      var n = String(org.next());
      return (PREFIX[type] || 'a00') + 'SI' + '0000000000'.slice(n.length) + n + 'AAA';
    };

    org.recordsOf = function (type) {
      return Object.values(org.records).filter(function (r) { return r.type === type; });
    };

    /** The records of `objects` (every object when null) that `text` names: its Id, its
     * neoCrmData__c, a phone with the same digits (6 or more), or part of its name (3
     * characters or more, not all digits). */
    org.search = function (text, objects) {
      var needle = String(text || '').trim();
      var d = digits(needle);
      return Object.values(org.records).filter(function (r) {
        if (objects && objects.indexOf(r.type) < 0) { return false; }
        if (r.Id === needle || (r.neoCrmData__c && r.neoCrmData__c === needle)) { return true; }
        if (d.length >= 6 && PHONE_FIELDS.some(function (f) { return r[f] && digits(r[f]) === d; })) { return true; }
        return needle.length >= 3 && !/^\d+$/.test(needle) && r.Name && r.Name.toLowerCase().indexOf(needle.toLowerCase()) >= 0;
      });
    };

    /** A record as Apex serializes it: its fields and `attributes.type`. */
    org.json = function (r) {
      var out = {};
      Object.keys(r).forEach(function (k) { if (k !== 'type') { out[k] = r[k]; } });
      out.attributes = { type: r.type };
      return out;
    };

    /**
     * One write: with `Id`, an update of that record or Task; else a creation of
     * `entityApiName` (a Task checks its WhoId/WhatId as Salesforce does). Returns the Id;
     * throws a refusal and changes nothing when the org refuses it. Kept across reloads.
     */
    org.write = function (value) {
      var fields = Object.assign({}, value);
      if (fields.Id) {
        var task = org.tasks.find(function (t) { return t.Id === fields.Id; });
        var target = task || org.records[fields.Id];
        if (!target) { throw refused('invalid cross reference id: ' + fields.Id, ['Id']); }
        delete fields.entityApiName;
        Object.assign(target, fields);
        org.modified[fields.Id] = new Date().toISOString();
        org.keep();
        return fields.Id;
      }
      var type = fields.entityApiName;
      delete fields.entityApiName;
      if (type === 'Task') {
        var relatedId = fields.WhoId || fields.WhatId;
        if (relatedId && !org.records[relatedId]) { throw refused('invalid cross reference id: ' + relatedId, [fields.WhoId ? 'WhoId' : 'WhatId']); }
        if (fields.WhoId && ['Contact', 'Lead'].indexOf(org.records[fields.WhoId].type) < 0) {
          throw refused('FIELD_INTEGRITY_EXCEPTION: WhoId must be a Contact or Lead', ['WhoId']);
        }
        fields.Id = org.newId('Task');
        fields.CreatedDate = new Date().toISOString();
        org.tasks.push(fields);
        org.modified[fields.Id] = fields.CreatedDate;
        org.keep();
        return fields.Id;
      }
      if (!PREFIX[type]) { throw refused('entityApiName (to create) or Id (to update) is required', ['entityApiName']); }
      fields.Id = org.newId(type);
      fields.type = type;
      org.records[fields.Id] = fields;
      org.modified[fields.Id] = new Date().toISOString();
      org.keep();
      return fields.Id;
    };

    /** The Tasks whose CallObject is `callId`, newest first (the package's look-up). */
    org.tasksOfCall = function (callId) {
      var call = String(callId || '').trim();
      return call ? org.tasks.filter(function (t) { return String(t.CallObject) === call; }).reverse() : [];
    };

    // The org outlives a reload of the page (the tab's session storage), as Salesforce's
    // does: a Task saved before the agent pressed F5 is there after it.
    org.keep = function () {
      try {
        sessionStorage.setItem(storageKey, JSON.stringify({ records: org.records, tasks: org.tasks, modified: org.modified, counter: org.counter }));
      } catch (e) { /* storage blocked: the org lives as long as the page */ }
    };

    /** The tab's kept org, else the dataset's records (the simulator's scenario, whose
     * `salesforce.records` are its contacts' too) and `orgJson`'s (records only Salesforce has). */
    org.load = function (dataset, orgJson) {
      var kept = null;
      try { kept = JSON.parse(sessionStorage.getItem(storageKey) || 'null'); } catch (e) { kept = null; }
      if (kept && kept.records) {
        org.records = kept.records; org.tasks = kept.tasks || []; org.modified = kept.modified || {}; org.counter = kept.counter || 1;
        return;
      }
      var loadedAt = new Date().toISOString();
      (((dataset || {}).salesforce || {}).records || []).concat((orgJson || {}).records || []).forEach(function (r) {
        org.records[r.Id] = Object.assign({}, r);
        org.modified[r.Id] = loadedAt;
      });
    };

    return org;
  }

  return { create: create, PREFIX: PREFIX, PHONE_FIELDS: PHONE_FIELDS, digits: digits };
})();
