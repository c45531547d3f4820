"""A new session (an open page, an API client, an MCP call) no longer builds every block's config up front
(demos/serving.py); what Gradio reads from the session is unchanged."""
import pytest
from gradio import state_holder

import app


@pytest.fixture(scope="module")
def demo():
    return app.build_app()  # build_app turns the patch on


def test_the_patch_is_on_for_the_app(demo):
    assert state_holder.SessionState._dlhub_lazy_configs


def test_a_new_session_computes_no_block_config(demo):
    session = state_holder.SessionState(demo)
    assert dict.__len__(session.config_values) == 0
    assert len(session.config_values) > 500  # every block of the app is still in it


def test_lazy_and_eager_sessions_read_the_same(demo):
    cls = state_holder.SessionState
    eager = cls.__new__(cls)
    cls._dlhub_eager_init(eager, demo)
    lazy = cls(demo)
    assert set(vars(lazy)) == set(vars(eager))
    assert list(lazy.config_values) == list(eager.config_values)
    assert len(lazy.config_values) == len(eager.config_values)
    some = list(eager.config_values)[::97]
    for key in some:
        assert key in lazy.config_values
        assert lazy.config_values[key] == eager.config_values[key]
    assert dict.__len__(lazy.config_values) == len(some)  # only what was asked for was computed
    assert list(lazy.components) == list(eager.components)  # the deep-link route reads them all
    assert -1 not in lazy.config_values
    with pytest.raises(KeyError):
        lazy.config_values[-1]


def test_an_updated_value_lands_in_the_session_config(demo):
    from gradio.components import Textbox

    session = state_holder.SessionState(demo)
    key = next(k for k, b in demo.blocks.items() if isinstance(b, Textbox))
    session._update_value_in_config(key, "changed")
    assert session.config_values[key]["props"]["value"] == "changed"
    assert dict.__len__(session.config_values) == 1
    fresh = state_holder.SessionState(demo)  # another session keeps the default
    assert fresh.config_values[key]["props"].get("value") != "changed"
