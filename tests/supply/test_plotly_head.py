"""Chart pages keep plotly.js from injecting stylesheets our CSP refuses (docs/architecture.md)."""

from django.template import Context, Template

from rohstoff.core.staticfinders import plotly_injected_style_ids


def test_every_stylesheet_the_bundle_would_inject_has_a_placeholder_in_the_head():
    ids = plotly_injected_style_ids()
    assert ids  # the bundle injects maplibre's rules by id
    html = Template("{% load plotly_assets %}{% plotly_head %}").render(Context())
    assert 'id="plotly.js-style-global"' in html
    for style_id in ids:
        assert f'<template id="{style_id}"></template>' in html
