//! The words demo data is made of: topics with English and Chinese titles
//! and their tags, names, reviews, comments and check-in notes.

/// A topic: English title, Chinese title, tags.
pub(super) struct Topic {
    pub(super) en: &'static str,
    pub(super) zh: &'static str,
    pub(super) tags: &'static [&'static str],
}

/// What the items are about.
pub(super) const TOPICS: &[Topic] = &[
    Topic {
        en: "Event sourcing in Rust",
        zh: "用 Rust 实现事件溯源",
        tags: &["rust", "event-sourcing", "architecture"],
    },
    Topic {
        en: "Matrix factorization for recommendations",
        zh: "推荐系统中的矩阵分解",
        tags: &["machine-learning", "recommendation"],
    },
    Topic {
        en: "Writing a technical requirement",
        zh: "如何写一份好的外包需求",
        tags: &["outsourcing", "product"],
    },
    Topic {
        en: "Async programming with Tokio",
        zh: "Tokio 异步编程",
        tags: &["rust", "async"],
    },
    Topic {
        en: "PostgreSQL performance tuning",
        zh: "PostgreSQL 性能调优",
        tags: &["database", "performance"],
    },
    Topic {
        en: "Practical OCR with Tesseract",
        zh: "Tesseract 文字识别实战",
        tags: &["ocr", "machine-learning"],
    },
    Topic {
        en: "Negotiating freelance contracts",
        zh: "自由职业合同谈判",
        tags: &["career", "outsourcing"],
    },
    Topic {
        en: "Kubernetes from zero",
        zh: "从零开始学 Kubernetes",
        tags: &["devops", "kubernetes"],
    },
    Topic {
        en: "Product design for marketplaces",
        zh: "双边市场的产品设计",
        tags: &["product", "design"],
    },
    Topic {
        en: "Python for data analysis",
        zh: "Python 数据分析",
        tags: &["python", "data"],
    },
    Topic {
        en: "Distributed systems, the hard parts",
        zh: "分布式系统的难点",
        tags: &["distributed-systems", "architecture"],
    },
    Topic {
        en: "Learning English for engineers",
        zh: "工程师英语",
        tags: &["language", "career"],
    },
];

/// Ways an English title is framed around its topic.
pub(super) const EN_FRAMES: &[&str] = &[
    "{}: a practical guide",
    "{} in 30 days",
    "{}, explained",
    "Mastering {}",
    "{} for beginners",
    "Notes on {}",
];

/// Ways a Chinese title is framed around its topic.
pub(super) const ZH_FRAMES: &[&str] = &[
    "{}：实战指南",
    "30 天掌握{}",
    "{}详解",
    "精通{}",
    "{}入门",
    "{}笔记",
];

/// Given names of the demo users.
pub(super) const GIVEN: &[&str] = &[
    "Lin", "Wei", "Ada", "Min", "Jun", "Mei", "Sam", "Yan", "Ola", "Hui", "Ken", "Xia", "Ravi",
    "Zoe", "Tao", "Ana",
];

/// Family names of the demo users.
pub(super) const FAMILY: &[&str] = &[
    "Wang", "Li", "Zhang", "Liu", "Chen", "Smith", "Garcia", "Kim", "Nguyen", "Okafor", "Huang",
    "Zhou",
];

/// Reviews by language, best first.
pub(super) const REVIEWS_EN: &[&str] = &[
    "Excellent: clear, practical and well paced.",
    "Very useful, I applied it at work the next day.",
    "Good overall, a few chapters felt rushed.",
    "Some good parts, but too basic for me.",
    "Not what the summary promised.",
];

/// Chinese reviews, best first.
pub(super) const REVIEWS_ZH: &[&str] = &[
    "非常好，讲解清楚，例子实用。",
    "很有帮助，第二天就用在工作中了。",
    "整体不错，有几章讲得有点快。",
    "有些内容不错，但对我来说太基础了。",
    "和简介描述的不太一样。",
];

/// Comments anyone may leave.
pub(super) const COMMENTS: &[&str] = &[
    "Thanks, this helped a lot.",
    "谢谢分享！",
    "Great examples in the second part.",
    "期待下一篇。",
];

/// Questions learners ask.
pub(super) const QUESTIONS: &[&str] = &[
    "Does this work with the latest version?",
    "Is there a sample project for this?",
    "这个方法适合大规模数据吗？",
    "请问有配套的练习吗？",
];

/// The creator's replies to questions.
pub(super) const ANSWERS: &[&str] = &[
    "Yes, see the last chapter for the details.",
    "Good question: the repository link is in the summary.",
    "可以的，最后一章有详细说明。",
];

/// Check-in notes.
pub(super) const NOTES: &[&str] = &[
    "Finished today's lesson.",
    "Did the exercises.",
    "今天的内容完成了。",
    "复习了昨天的笔记。",
];
