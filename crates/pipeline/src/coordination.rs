//! Coordinated-sharing flags of stored narratives, for the command line and the desk alike.

use tangkal_narratives::coordination::{self, Detection, Params, Post};
use tangkal_store::Store;

/// Runs coordination detection over every stored post: the interval and the repetition are properties
/// of the whole stream, not of one narrative. Keep the flags of the narratives you show.
pub fn detect_stored(store: &dyn Store) -> tangkal_store::Result<Detection> {
    let posts: Vec<Post> = store
        .narrative_posts()?
        .into_iter()
        .map(|p| Post {
            item: p.item_id,
            narrative: p.narrative,
            // Account rows are per platform already.
            platform: 0,
            account: p.platform_account as u32,
            time: p.published_at,
            text: p.copy as u64,
        })
        .collect();
    Ok(coordination::detect(&posts, &Params::default()))
}
