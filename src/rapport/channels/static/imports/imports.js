// The import job panel: poll its progress every second until the job has finished.
// Plain script (the CSP allows no inline code); text goes in with textContent only.
(() => {
  const panel = document.getElementById("import-job");
  if (!panel || ["done", "failed"].includes(panel.dataset.state)) return;
  const url = panel.dataset.progressUrl;
  const bar = panel.querySelector("progress");
  const field = (name) => panel.querySelector(`[data-field="${name}"]`);
  const labels = { queued: "Waiting for a worker…", running: "Importing…", done: "Done", failed: "Failed" };

  const size = (bytes) => {
    if (bytes === null || bytes === undefined) return "";
    const units = ["bytes", "KB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
  };

  const show = (name, text) => {
    const element = field(name);
    element.textContent = text;
    element.hidden = !text;
  };

  const render = (status) => {
    panel.dataset.state = status.state;
    field("state-label").textContent = status.note || labels[status.state] || status.state;
    if (status.percent === null) bar.removeAttribute("value");
    else bar.value = status.percent;
    field("bytes").textContent = status.bytes_total
      ? `${size(status.bytes_read)} of ${size(status.bytes_total)}`
      : size(status.bytes_read);
    field("posts").textContent = status.posts;
    field("comments").textContent = status.comments;
    field("skipped").textContent = status.skipped;
    show("summary", status.summary);
    show("error", status.error);
    const reasons = field("skipped_reasons");
    reasons.replaceChildren(
      ...status.skipped_reasons.map(([reason, count]) => {
        const li = document.createElement("li");
        li.textContent = `${count} skipped: ${reason}`;
        return li;
      }),
    );
    reasons.hidden = status.skipped_reasons.length === 0;
    field("done-links").hidden = status.state !== "done";
  };

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (response.ok) {
        const status = await response.json();
        render(status);
        const row = document.getElementById(`import-${status.id}`);
        if (row) {
          const outcome = row.querySelector(".outcome");
          outcome.className = `outcome ${status.state}`;
          if (status.state === "done") outcome.textContent = status.summary;
          else if (status.state === "failed") outcome.textContent = `Failed: ${status.error}`;
          else outcome.textContent = labels[status.state] || status.state;
        }
        if (status.finished) return;
      }
    } catch (error) {
      // the server may be restarting; keep asking
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
})();
