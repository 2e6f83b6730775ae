/*
 * The bundle's entry (cti-server/web/scv/connector.js): the connector page starts on the
 * window's load, as Salesforce's demo connector does.
 */
import { startConnectorPage, windowEnv } from './page.js';

window.addEventListener('load', () => {
  window.neotelConnector = startConnectorPage(windowEnv(window));
});
