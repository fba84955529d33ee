"""/styles: the citation styles (core first, then every installed CSL style), their aliases and locales."""

from __future__ import annotations

from flask import Response
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api import models
from api.params import StylesArgs, read_args
from api.render import page
from mtkb.citations import LOCALES, list_styles

ns = Namespace("styles", description="Citation styles and locales")
style = ns.model(
    "Style",
    {
        "id": rx.String(required=True, description="The CSL file name: use it as `style=`"),
        "title": rx.String(required=True),
        "aliases": rx.List(rx.String, required=True),
        "core": rx.Boolean(required=True, description="Pre-rendered in every locale at build time"),
    },
)
styles_page = ns.model(
    "StylesPage",
    {
        "total": rx.Integer(required=True),
        "page": rx.Integer(required=True),
        "per_page": rx.Integer(required=True),
        "styles": rx.List(rx.Nested(style), required=True),
        "locales": rx.List(rx.String, required=True),
        "rights": rx.List(rx.Nested(models.rights_model(ns)), required=True),
    },
)
CSL_RIGHTS = {
    "holder": "Citation Style Language project",
    "licence": "CC BY-SA 3.0",
    "url": "https://creativecommons.org/licenses/by-sa/3.0/",
    "applies_to": "the CSL style files",
}


@ns.route("")
class Styles(Resource):
    @ns.doc(params=models.params(StylesArgs), responses=models.ERRORS)
    @ns.response(200, "A page of styles", styles_page)
    def get(self) -> Response:
        """Every style by id (its CSL file name) with its title and the aliases people type, core styles
        (pre-rendered, fastest) first; `locales` lists the supported locales."""
        args = read_args(StylesArgs)
        styles = list_styles()
        if args["q"]:
            needle = args["q"].lower()
            styles = [
                s
                for s in styles
                if needle in s["id"] or needle in s["title"].lower() or any(needle in a for a in s["aliases"])
            ]
        return page(styles, args, key="styles", extra={"locales": list(LOCALES), "rights": [CSL_RIGHTS]})
