// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev A realistic workload manifest of exactly 1,024 bytes (an 8-GPU vLLM server and a
/// gateway), as a constant so that passing it costs what calldata would, not storage reads.
bytes constant MANIFEST_1KIB = "version: v1alpha1\n" "services:\n" "  - name: llm\n"
    "    image: vllm/vllm-openai:v0.6.3\n"
    "    command: [\"python3\", \"-m\", \"vllm.entrypoints.openai.api_server\"]\n"
    "    args: [\"--model\", \"meta-llama/Llama-3.1-70B-Instruct\", \"--tensor-parall"
    "el-size\", \"8\"]\n" "    env:\n" "      - name: HF_HOME\n" "        value: /models/cache\n"
    "      - name: VLLM_PORT\n" "        value: \"8000\"\n" "    ports:\n" "      - port: 8000\n"
    "        expose: true\n" "    replicas: 1\n" "    resources:\n" "      gpu: 8\n"
    "      cpu: 96000m\n" "      memory: 1024Gi\n" "      ephemeralStorage: 2048Gi\n"
    "      shm: 64Gi\n" "  - name: gateway\n" "    image: nginx:1.27-alpine\n" "    ports:\n"
    "      - port: 8080\n" "        expose: true\n" "    replicas: 2\n" "    resources:\n"
    "      cpu: 500m\n" "      memory: 512Mi\n"
    "# padding to one KiB padding to one KiB padding to one KiB padding to one KiB pa"
    "dding to one KiB padding to one KiB padding to one KiB padding to one KiB paddin"
    "g to one KiB padding to one KiB padding to one KiB padding to one KiB padding to"
    " one KiB padding to one KiB padding to one KiB padding to one KiB padding to one"
    " KiB padding to\n";
