"""HTTP routes for the recipes: mount `router` in any FastAPI app."""

from fastapi import APIRouter, HTTPException
from recipes import names, recipe

router = APIRouter(prefix="/recipes")


@router.get("/")
def list_recipes() -> list[str]:
    return names()


@router.get("/{name}")
def get_recipe(name: str) -> dict[str, object]:
    if name not in names():
        raise HTTPException(status_code=404, detail=f"no recipe {name}")
    return recipe(name)
