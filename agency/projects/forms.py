"""Forms of agency projects: parse and check single fields; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rohstoff.core.forms import LocalDecimalField
from rohstoff.core.models import Material

from .models import FIRST_YEAR, LAST_YEAR, EsgItem, EsgStatus, Project, ProjectMaterial
from .services import MAX_CAPACITIES, NOTE_MAX


class ProjectForm(forms.ModelForm):
    latitude = LocalDecimalField(
        label=_("Latitude"),
        required=False,
        max_digits=8,
        decimal_places=5,
        min_value=-90,
        max_value=90,
        help_text=_("Decimal degrees, north positive, e.g. -28.86"),
    )
    longitude = LocalDecimalField(
        label=_("Longitude"),
        required=False,
        max_digits=8,
        decimal_places=5,
        min_value=-180,
        max_value=180,
        help_text=_("Decimal degrees, east positive, e.g. 121.32"),
    )
    capex = LocalDecimalField(
        label=_("Capex"), required=False, max_digits=20, decimal_places=4, min_value=0
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "operator",
            "country",
            "latitude",
            "longitude",
            "stage",
            "capex",
            "capex_currency",
            "crma_strategic",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None) and not (
            self.has_error("latitude") or self.has_error("longitude")
        ):
            self.add_error(
                "longitude" if longitude is None else "latitude",
                _("Give both coordinates or none."),
            )
        return data


class CapacityForm(forms.Form):
    material = forms.ModelChoiceField(
        label=_("Material"), queryset=Material.objects.all(), required=True
    )
    capacity_t_per_year = LocalDecimalField(
        label=_("Annual capacity (t/yr)"),
        required=False,
        max_digits=22,
        decimal_places=6,
        min_value=0,
    )
    production_start_year = forms.IntegerField(
        label=_("Start of production"), required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
    )


class BaseCapacityFormSet(forms.BaseFormSet):
    def capacities(self) -> list[dict]:
        """The filled rows (a row without a material is ignored, a row marked for deletion too)."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data.get("material") or data.get("DELETE"):
                continue
            rows.append(data)
        return rows


CapacityFormSet = forms.formset_factory(
    CapacityForm,
    formset=BaseCapacityFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_CAPACITIES,
    validate_max=True,
    absolute_max=MAX_CAPACITIES,
)


def capacity_initial(project: Project | None) -> list[dict]:
    if project is None:
        return []
    return [
        {
            "material": row.material_id,
            "capacity_t_per_year": row.capacity_t_per_year,
            "production_start_year": row.production_start_year,
        }
        for row in ProjectMaterial.objects.filter(project=project).select_related("material")
    ]


class EsgScreenForm(forms.Form):
    """One status and one note per screen item."""

    def __init__(self, *args, screen, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for row in screen:
            status = forms.ChoiceField(
                label=row.label,
                choices=EsgStatus.choices,
                initial=row.status,
                widget=forms.RadioSelect,
            )
            note = forms.CharField(
                label=gettext("Note on %(item)s") % {"item": row.label},
                required=False,
                max_length=NOTE_MAX,
                initial=row.check.note if row.check else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"{row.item}-status"] = status
            self.fields[f"{row.item}-note"] = note
            self.rows.append((row, self[f"{row.item}-status"], self[f"{row.item}-note"]))

    def checks(self) -> dict[str, dict]:
        return {
            item: {
                "status": self.cleaned_data[f"{item}-status"],
                "note": self.cleaned_data[f"{item}-note"],
            }
            for item in EsgItem.values
            if f"{item}-status" in self.cleaned_data
        }
