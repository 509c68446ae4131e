"""incarne executor module for Taurus (bzt).

Register it with `modules: {incarne: {class: incarne_bzt.IncarneExecutor}}` (taurus/
incarne-module.yml does) and put taurus/ on PYTHONPATH:

    PYTHONPATH=taurus bzt taurus/incarne-module.yml taurus/test.yml

`incarne_bzt.logic` never imports bzt; the executor and readers are imported on first use,
so the package itself imports fine without bzt (the tests rely on that).
"""

__all__ = ["IncarneExecutor", "IncarneStatsReader", "IncarnePhoutReader", "Incarne"]


def __getattr__(name):  # PEP 562: bzt's load_class does getattr(package, "IncarneExecutor")
    if name in ("IncarneExecutor", "Incarne"):
        from . import executor
        return getattr(executor, name)
    if name in ("IncarneStatsReader", "IncarnePhoutReader"):
        from . import readers
        return getattr(readers, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
