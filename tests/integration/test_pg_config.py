"""test_pg_config.py - deconflictd refuses what a PostgreSQL store cannot honour, each with its
reason, before serving anything (issue 15): no signing key file, an archive of a shared store, a
password echoed from the URI, a key file of another deployment."""
import os
import subprocess
import tempfile

from harness import SERVER, Results, free_port, pg_drop, pg_store

r = Results("pg_config")
work = tempfile.mkdtemp(prefix="dc-pgconf-")
uri = pg_store(os.path.join(work, "store.pg"))


def start(*args, timeout=60):
    """deconflictd with these flags, expected to refuse: (exit code, standard error)."""
    out = subprocess.run([SERVER, "--listen", f"127.0.0.1:{free_port()}",
                          "--operator-key-file", os.path.join(work, "operator.key"), *args],
                         capture_output=True, text=True, timeout=timeout)
    return out.returncode, out.stderr


try:
    code, err = start("--db", uri, "--retain", "audit=1d", "--key-file", os.path.join(work, "k"))
    r.check("--retain over a PostgreSQL store is refused with the reason", code != 0 and
            "a PostgreSQL store keeps every row: --retain and --archive are for an SQLite store" in err, err)
    code, err = start("--db", uri, "--archive", work, "--key-file", os.path.join(work, "k"))
    r.check("--archive likewise", code != 0 and "--archive" in err and "keeps every row" in err, err)
    code, err = start("--db", uri)
    r.check("a PostgreSQL store without --key-file is refused with the reason", code != 0 and
            "a PostgreSQL store needs --key-file" in err, err)
    # a password in the URI never reaches the log, whether the database answers or not
    nobody = "postgresql://dc:s3cret-word@127.0.0.1:1/dc"
    code, err = start("--db", nobody, "--key-file", os.path.join(work, "k"))
    r.check("an unreachable PostgreSQL is refused", code != 0 and "PostgreSQL" in err, err)
    r.check("its password is not printed", "s3cret-word" not in err, err)
    # the first instance makes the key; a key file of another deployment is refused
    first = os.path.join(work, "first.key")
    proc = subprocess.Popen([SERVER, "--listen", f"127.0.0.1:{free_port()}", "--db", uri, "--key-file", first,
                             "--operator-key-file", os.path.join(work, "operator.key")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "listening on" in line:
            break
    proc.terminate()
    proc.wait(timeout=60)
    r.check("the first instance wrote its key file, private", os.path.exists(first) and
            (os.stat(first).st_mode & 0o077) == 0)
    other = os.path.join(work, "other.key")
    subprocess.run(["python3", "-c", "import os,sys; open(sys.argv[1],'wb').write(os.urandom(64))", other], check=True)
    os.chmod(other, 0o600)
    code, err = start("--db", uri, "--key-file", other)
    r.check("another deployment's key file is refused", code != 0 and other in err, err)
finally:
    pg_drop(uri)
r.finish()
