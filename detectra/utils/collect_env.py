"""``python -m detectra.utils.collect_env``: print the software and hardware report to paste into bug reports."""
from detectra.utils.env import collect_env_info

__all__ = ["collect_env_info"]

if __name__ == "__main__":
    print(collect_env_info())
