// Small progressive enhancements; the desk works without JavaScript.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement && target.dataset.checkAll !== undefined) {
    document.querySelectorAll(`input[name="${target.dataset.checkAll}"]`).forEach((box) => {
      box.checked = target.checked;
    });
  }
});
