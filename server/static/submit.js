// Sends the file with the token in the Authorization header and shows the report the service returns.
(function () {
  var form = document.getElementById("submit-form");
  var outcome = document.getElementById("outcome");
  var types = { ttl: "text/turtle", nt: "application/n-triples", jsonld: "application/ld+json", rdf: "application/rdf+xml" };
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = document.getElementById("file").files[0];
    var token = document.getElementById("token").value.trim();
    var suffix = file.name.split(".").pop().toLowerCase();
    outcome.textContent = "Submitting…";
    fetch(form.getAttribute("data-endpoint") || "/submissions", {
      method: "POST",
      headers: { "Authorization": "Bearer " + token, "Content-Type": types[suffix] || file.type, "Accept": "text/html" },
      body: file,
    }).then(function (response) {
      return response.text().then(function (text) {
        var page = new DOMParser().parseFromString(text, "text/html");
        var main = page.querySelector("main");
        outcome.replaceChildren();
        var status = document.createElement("p");
        status.textContent = "HTTP " + response.status;
        outcome.appendChild(status);
        if (main) { outcome.appendChild(document.importNode(main, true)); }
        else { var pre = document.createElement("pre"); pre.textContent = text; outcome.appendChild(pre); }
      });
    }).catch(function (error) { outcome.textContent = "The service could not be reached: " + error; });
  });
})();
