"""The app as an MCP server: the official `mcp` client over streamable HTTP against `python app.py`."""
import ast
import asyncio
import base64
import io

import pytest
from PIL import Image

from demos.samples import draw_digit

mcp = pytest.importorskip("mcp", reason="the mcp package (requirements.txt) is not installed")
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

# tools an agent can use: one per public endpoint, named after its handler
EXPECTED_TOOLS = {
    "train_playground", "predict_digit_mlp", "predict_digit_cnn", "predict_uploaded_digit_cnn", "resnet_predict",
    "predict_sentiment", "nearest_words", "word_similarity", "word_analogy", "generate_text",
    "inspect_gpt_attention", "sample_gan_grid", "gan_latent_walk", "sample_diffusion",
    "diffusion_forward_process", "classify_citation_graph", "inspect_graph_node", "train_karate",
    "play_cartpole_episode", "train_dqn_from_scratch",
    # the live-training sections whose result comes back in the call itself
    "resnet_depth_train", "lstm_memory_train", "train_gpt_on_text", "train_gan_plane", "train_diffusion_plane",
    "autoencoder_train", "autoencoder_reconstruct", "autoencoder_reconstruct_test", "autoencoder_decode",
    "autoencoder_vae_grid", "autoencoder_denoise", "detect_digits_in_drawing", "detect_digits_in_picture",
}
# callable by scripts, but no tools: session-state training (MCP calls keep no gr.State), slider glue, examples
HIDDEN = {"train_word2vec_on_text", "gan_walk_frame", "_run_example", "load_example",
          # what a session trained, used in the same session: the CNN's symbols, the GPT trained on your text, the
          # 2-D denoiser
          "train_symbols", "predict_symbol", "add_symbol_drawing", "generate_with_trained_gpt", "sample_plane",
          "denoising_direction"}


def mcp_session(app_url, work):
    """Run `await work(session)` in an initialised MCP client session on the app's MCP endpoint."""
    async def main():
        import httpx

        async with httpx.AsyncClient(timeout=httpx.Timeout(60, read=180)) as http, \
                streamable_http_client(app_url + "gradio_api/mcp/", http_client=http) as (read, write, _), \
                mcp.ClientSession(read, write) as session:
            await session.initialize()
            return await work(session)

    return asyncio.run(asyncio.wait_for(main(), timeout=240))


def outputs(result) -> list:
    """A tool's outputs: Gradio sends them as one text block (a Python literal of the endpoint's outputs)."""
    assert not result.isError, result.content
    text = next(c.text for c in result.content if c.type == "text")
    return ast.literal_eval(text)


def data_url(array) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_tools_are_the_public_endpoints_with_descriptions(app_url):
    async def work(session):
        return (await session.list_tools()).tools

    tools = {tool.name: tool for tool in mcp_session(app_url, work)}
    assert EXPECTED_TOOLS <= set(tools), EXPECTED_TOOLS - set(tools)
    assert not HIDDEN & set(tools)
    assert not any(name.rstrip("0123456789").endswith("_") and name[-1].isdigit() for name in tools), \
        "two handlers share a name: Gradio numbered one of them"
    for name in EXPECTED_TOOLS:
        tool = tools[name]
        assert len(tool.description) > 40 and "Returns:" in tool.description, name
        for parameter, schema in tool.inputSchema["properties"].items():
            assert schema.get("description"), f"{name}({parameter}) has no description (Args: in its docstring)"


def test_an_agent_classifies_a_drawn_digit_and_a_sentence(app_url):
    async def work(session):
        digit = await session.call_tool("predict_uploaded_digit_cnn", {"image": data_url(draw_digit(7))})
        review = await session.call_tool("predict_sentiment", {"text": "A wonderful, moving film. I loved it."})
        words = await session.call_tool("nearest_words", {"word": "king", "k": 5, "source": "hub vectors"})
        return digit, review, words

    digit, review, words = mcp_session(app_url, work)
    label = outputs(digit)[0]
    assert label["label"] == "7" and label["confidences"][0]["confidence"] > 0.5
    lstm, rnn = outputs(review)[:2]
    assert lstm["label"] == "positive"
    table = outputs(words)[0]
    assert len(table["data"]) == 5 and "king" not in [row[0] for row in table["data"]]


def test_bad_tool_input_is_an_error_result_not_a_crash(app_url):
    async def work(session):
        bad = await session.call_tool("predict_uploaded_digit_cnn", {"image": "not a picture"})
        good = await session.call_tool("predict_sentiment", {"text": "A tedious, joyless mess."})
        return bad, good

    bad, good = mcp_session(app_url, work)
    assert bad.isError
    assert outputs(good)[0]["label"] == "negative"  # the server still answers


def test_readme_mcp_snippet_runs(app_url, capsys):
    """The README's MCP client snippet, against the live app."""
    import re

    from conftest import ROOT

    section = (ROOT / "README.md").read_text().split("## Use it from an agent (MCP)", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    exec(compile(code.replace("http://127.0.0.1:7860/", app_url), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert " tools: " in printed
    assert "'label': 'positive'" in printed
