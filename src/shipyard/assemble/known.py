"""What shipyard knows about import names without asking any environment: the standard library,
the popular distributions whose import name differs from their name, and those whose name is the
same (so they are known without being installed anywhere)."""

from __future__ import annotations

import sys

# Import names whose distribution is named otherwise; dotted keys for namespace packages (google.*).
_MISMATCHES = """
cv2=opencv-python yaml=PyYAML PIL=Pillow sklearn=scikit-learn skimage=scikit-image dateutil=python-dateutil
jwt=PyJWT bs4=beautifulsoup4 attr=attrs magic=python-magic dotenv=python-dotenv docx=python-docx
pptx=python-pptx serial=pyserial usb=pyusb Crypto=pycryptodome Cryptodome=pycryptodomex OpenSSL=pyOpenSSL
fitz=PyMuPDF telegram=python-telegram-bot github=PyGithub git=GitPython MySQLdb=mysqlclient zmq=pyzmq
wx=wxPython gi=PyGObject jose=python-jose multipart=python-multipart slugify=python-slugify
Levenshtein=python-Levenshtein ldap=python-ldap nacl=PyNaCl dns=dnspython Bio=biopython grpc=grpcio
kafka=kafka-python websocket=websocket-client socks=PySocks pkg_resources=setuptools OpenGL=PyOpenGL
win32api=pywin32 win32con=pywin32 win32com=pywin32 pythoncom=pywin32 pywintypes=pywin32 cairo=pycairo
mpl_toolkits=matplotlib markdown_it=markdown-it-py socketio=python-socketio engineio=python-engineio
discord=discord.py airflow=apache-airflow factory=factory-boy memcache=python-memcached Xlib=python-xlib
umap=umap-learn whisper=openai-whisper faiss=faiss-cpu llama_cpp=llama-cpp-python ruamel.yaml=ruamel.yaml
speech_recognition=SpeechRecognition googleapiclient=google-api-python-client google.protobuf=protobuf
google.auth=google-auth google.oauth2=google-auth google.api_core=google-api-core google.genai=google-genai
google.generativeai=google-generativeai google.cloud.storage=google-cloud-storage
google.cloud.bigquery=google-cloud-bigquery google.cloud.pubsub=google-cloud-pubsub
google.cloud.pubsub_v1=google-cloud-pubsub google.cloud.firestore=google-cloud-firestore
azure.identity=azure-identity azure.storage.blob=azure-storage-blob
google_auth_oauthlib=google-auth-oauthlib sentence_transformers=sentence-transformers stdlib_list=stdlib-list
scancode=scancode-toolkit
"""
# Popular distributions whose import name is their name: known without being installed here.
_SAME_NAME = """
numpy pandas scipy matplotlib requests httpx aiohttp urllib3 certifi idna flask django fastapi starlette
uvicorn pydantic click typer rich tqdm colorama tabulate loguru jinja2 markdown pygments toml tomli tomlkit
packaging typing_extensions six attrs tenacity filelock platformdirs psutil boto3 botocore redis pymongo
sqlalchemy psycopg2 psycopg asyncpg pymysql celery torch torchvision tensorflow keras transformers datasets
tokenizers huggingface_hub openai anthropic tiktoken sentencepiece nltk spacy networkx sympy joblib lxml
openpyxl pypdf cryptography paramiko jsonschema pytz orjson ujson msgpack regex simplejson plotly seaborn
polars pyarrow duckdb h5py numba shapely statsmodels xgboost lightgbm onnx pytest docker websockets IPython
streamlit dill mcp nbformat nbconvert mkdocs gradio
"""
KNOWN: dict[str, str] = {name: name for name in _SAME_NAME.split()} | {
    key: dist for key, _, dist in (pair.partition("=") for pair in _MISMATCHES.split())
}
# Namespace packages: only a dotted name (google.protobuf) tells the distribution, never the bare top.
NAMESPACES = frozenset({"google", "azure"})
# The running interpreter's standard library, plus modules that are stdlib in another supported Python.
OTHER_STDLIB = """__future__ _typeshed tomllib distutils imp asynchat asyncore smtpd aifc audioop cgi
cgitb chunk crypt imghdr mailcap msilib nis nntplib ossaudiodev pipes sndhdr spwd sunau telnetlib uu xdrlib
lib2to3"""
STDLIB = frozenset(sys.stdlib_module_names) | frozenset(OTHER_STDLIB.split())
