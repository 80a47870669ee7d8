// With JavaScript, the plain form gives way to the YASGUI editor, talking to this endpoint only.
(function () {
  if (typeof Yasgui === "undefined") { return; }
  var form = document.getElementById("query-form");
  var holder = document.getElementById("yasgui");
  var textarea = document.getElementById("query");
  var endpoint = new URL(form.getAttribute("action"), window.location.href).href;
  holder.hidden = false;
  var yasgui = new Yasgui(holder, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    // Only completions that need no other site: the class and property completers ask an
    // outside vocabulary service, which a public endpoint's visitors should not be sent to.
    yasqe: { value: textarea.value, autocompleters: ["prefixes", "variables"] },
  });
  form.hidden = true;
  window.ccnYasgui = yasgui;
})();
