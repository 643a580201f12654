import { AttendeeCalendarController } from "@calendar/views/attendee_calendar/attendee_calendar_controller";
import { patch } from "@web/core/utils/patch";
import { GoogleCalendarSyncButton } from "../sync_button/sync_button";

patch(AttendeeCalendarController, {
    components: { ...AttendeeCalendarController.components, GoogleCalendarSyncButton },
});

patch(AttendeeCalendarController.prototype, {
    async onGoogleCalendarSynced() {
        await this.model.load();
        this.render(true);
    },
});
