/*
 * F-CAMPAIGN under Salesforce Voice: the campaigns the view lists, joined and left with the
 * core's commands. Which campaign may be joined now is the view's `joinTargets`; breaks are
 * Omni-Channel presence statuses (F-BREAK), not here.
 */
import NeotelElement from 'c/neotelElement';
import { list } from 'c/neotelProtocol';

export default class NeotelCampaigns extends NeotelElement {
    /** The campaign the agent chose in the list, until the view names another. */
    picked = null;

    get sends() {
        return ['joinCampaign', 'leaveCampaign'];
    }

    get heading() {
        return this.words ? this.ui('campaign') : 'Neotel';
    }

    get status() {
        return this.say(this.view.statusLabel);
    }

    get campaignLabel() {
        return this.ui('campaign');
    }

    get joinLabel() {
        return this.ui('join');
    }

    get leaveLabel() {
        return this.ui('leave');
    }

    get campaignOptions() {
        return list(this.view, 'campaigns').map((c) => ({ label: c.id + ' - ' + c.name, value: String(c.id) }));
    }

    /** The agent's pick, else the campaign the agent is in, else the list's first. */
    get selected() {
        const options = this.campaignOptions;
        const inList = (value) => value !== null && value !== undefined && options.some((o) => o.value === String(value));
        if (inList(this.picked)) {
            return String(this.picked);
        }
        if (inList(this.view.campaign)) {
            return String(this.view.campaign);
        }
        return options.length ? options[0].value : null;
    }

    get joinDisabled() {
        const selected = this.selected;
        return !(this.actions.joinCampaign && selected !== null && (this.view.joinTargets || []).includes(Number(selected)));
    }

    get leaveDisabled() {
        return !this.actions.leaveCampaign;
    }

    get joinVariant() {
        return this.view.primary === 'joinCampaign' ? 'brand' : 'neutral';
    }

    pick(event) {
        this.picked = event.detail.value;
    }

    join() {
        this.send({ command: 'joinCampaign', campaign: Number(this.selected) });
    }

    leave() {
        this.send({ command: 'leaveCampaign' });
    }
}
