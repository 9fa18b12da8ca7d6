// fluent-webhooks admin: a filter shown as a drop-down goes to the chosen filter's page.
"use strict";
document.addEventListener("change", function (event) {
    const select = event.target.closest && event.target.closest("select[data-fw-navigate]");
    if (select && select.value) {
        window.location.href = select.value;
    }
});
