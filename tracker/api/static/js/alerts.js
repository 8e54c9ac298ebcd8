import { enhanceFilterForm } from "./filter-form.js";

enhanceFilterForm(document.getElementById("alert-filter-form"));
