//! Tests of `fsutil`: reads that hold whatever a file does between the
//! check and the read, and the refusals of output folders.

use super::*;

/// The size seen at open is only a hint: a file that grew or shrank
/// between the check and the read is read whole, and the cap holds.
#[test]
fn reads_whole_files_whatever_their_size_did_after_the_check() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("a.yaml");
    let small = Limit {
        cap: 64,
        what: "a test file",
    };
    for (before, after) in [
        ("", ""),
        ("x: 1\n", "x: 1\n"),
        ("x: 1\n", "x: 1\ny: 2\n"),
        ("x: 12345\n", "x\n"),
        ("x\n", ""),
    ] {
        std::fs::write(&p, before).unwrap();
        let opened = open_regular(&p, false, "a.yaml", small).unwrap();
        std::fs::write(&p, after).unwrap();
        assert_eq!(
            read_capped(opened, small).unwrap(),
            after.as_bytes(),
            "{before:?} -> {after:?}"
        );
    }
    std::fs::write(&p, "x: 1\n").unwrap();
    let opened = open_regular(&p, false, "a.yaml", small).unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(&[b'#'; 100]).unwrap();
    assert!(matches!(
        read_capped(opened, small),
        Err(ReadError::TooLarge { cap: 64, .. })
    ));
}

#[test]
fn repo_reads_refuse_links_and_special_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir(root.join("incidents")).unwrap();
    std::fs::write(root.join("incidents/a.yaml"), "x: 1\n").unwrap();
    assert_eq!(read_in_repo(root, "incidents/a.yaml", RECORD).unwrap(), b"x: 1\n");
    for bad in ["../x", "/etc/passwd", "a//b", "./a", ""] {
        assert!(
            matches!(read_in_repo(root, bad, RECORD), Err(ReadError::Outside(_))),
            "{bad}"
        );
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/hostname", root.join("incidents/l.yaml")).unwrap();
        std::os::unix::fs::symlink(root.join("incidents"), root.join("dir")).unwrap();
        assert!(matches!(
            read_in_repo(root, "incidents/l.yaml", RECORD),
            Err(ReadError::Symlink(_))
        ));
        assert!(matches!(
            read_in_repo(root, "dir/a.yaml", RECORD),
            Err(ReadError::Symlink(_))
        ));
    }
    std::fs::write(root.join("big"), vec![b'a'; 2000]).unwrap();
    let small = Limit { cap: 1000, what: "x" };
    assert!(matches!(
        read_in_repo(root, "big", small),
        Err(ReadError::TooLarge { .. })
    ));
    assert!(matches!(
        read_in_repo(root, "incidents", RECORD),
        Err(ReadError::NotRegular)
    ));
}

#[test]
fn writes_keep_modes_and_refuse_links() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write_in_repo(root, "a/b.yaml", b"1", Replace::Never).unwrap();
    assert!(matches!(
        write_in_repo(root, "a/b.yaml", b"2", Replace::Never),
        Err(WriteError::Exists(_))
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = root.join("a/b.yaml");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_in_repo(root, "a/b.yaml", b"2", Replace::Edit).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640);
        std::os::unix::fs::symlink(root.join("a"), root.join("l")).unwrap();
        assert!(matches!(
            write_in_repo(root, "l/c.yaml", b"1", Replace::Never),
            Err(WriteError::Symlink(_))
        ));
        std::os::unix::fs::symlink(&p, root.join("a/link.yaml")).unwrap();
        assert!(matches!(
            write_in_repo(root, "a/link.yaml", b"1", Replace::Edit),
            Err(WriteError::Symlink(_))
        ));
    }
    let ours = |b: &[u8]| b.starts_with(b"ours");
    std::fs::write(root.join("out.md"), "theirs").unwrap();
    assert!(matches!(
        write_file(root, Path::new("out.md"), b"ours 2", Replace::IfOurs(&ours)),
        Err(WriteError::NotOurs(_))
    ));
    std::fs::write(root.join("out.md"), "ours 1").unwrap();
    write_file(root, Path::new("out.md"), b"ours 2", Replace::IfOurs(&ours)).unwrap();
    assert_eq!(std::fs::read(root.join("out.md")).unwrap(), b"ours 2");
}
