"""``{% plotly_head %}``: what a page that draws plotly charts puts in its head (see
rohstoff/core/staticfinders.py): plotly's stylesheet, and an empty placeholder for each
stylesheet the bundle would otherwise inject (refused by our Content-Security-Policy)."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

from rohstoff.core.staticfinders import CSS_PATH, plotly_injected_style_ids

register = template.Library()


@register.simple_tag
def plotly_head():
    guards = format_html_join(
        "", '<template id="{}"></template>', ((i,) for i in plotly_injected_style_ids())
    )
    return format_html(
        '<link rel="stylesheet" id="plotly.js-style-global" class="no-inline-styles" href="{}">{}',
        static(CSS_PATH),
        guards,
    )
