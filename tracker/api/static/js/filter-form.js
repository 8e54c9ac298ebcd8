// GET filter forms: submit when a menu changes, and leave blank fields out of the URL so that
// a shared address holds only the choices that matter.

export function enhanceFilterForm(form) {
  form.addEventListener("submit", () => {
    for (const field of form.elements) {
      if (field.name && field.value === "") field.disabled = true;
    }
  });
  form.addEventListener("change", (event) => {
    if (event.target.tagName === "SELECT" || event.target.type === "radio") form.requestSubmit();
  });
}
