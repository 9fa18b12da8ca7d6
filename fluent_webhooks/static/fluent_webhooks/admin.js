// fluent-webhooks admin: a filter shown as a drop-down goes to the chosen filter's page, and
// Enter in the URL box (a textarea, so a long URL is seen whole) adds no line break.
"use strict";
document.addEventListener("change", function (event) {
    const select = event.target.closest && event.target.closest("select[data-fw-navigate]");
    if (select && select.value) {
        window.location.href = select.value;
    }
});
document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches(".fw-url-input")) {
        event.preventDefault();
    }
});
